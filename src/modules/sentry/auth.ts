/**
 * The key a Sentry SDK authenticates with, from where SDKs put it: `sentry_key` in the query string
 * (the JavaScript SDKs), the `X-Sentry-Auth` header (`Sentry sentry_key=…, sentry_version=7`; older
 * SDKs send it as `Authorization`), or the user part of the `dsn` in the envelope's header. Null
 * when none of them holds one. When several do, they must agree: a request naming two keys is
 * refused rather than guessed at.
 */
export function sentryKeyOf(
  url: URL,
  headers: Headers,
  envelopeHeader: Record<string, unknown> | null,
): { key: string } | { conflict: true } | null {
  const found = new Set<string>();
  const fromQuery = url.searchParams.get("sentry_key");
  if (fromQuery) found.add(fromQuery);
  for (const name of ["x-sentry-auth", "authorization"]) {
    const value = headers.get(name);
    if (!value || !/^sentry\s/i.test(value.trim())) continue;
    const key = authField(value.trim().slice("sentry".length), "sentry_key");
    if (key) found.add(key);
  }
  const dsn = envelopeHeader?.dsn;
  if (typeof dsn === "string") {
    const key = keyOfDsn(dsn);
    if (key) found.add(key);
  }
  if (found.size === 0) return null;
  if (found.size > 1) return { conflict: true };
  return { key: [...found][0] as string };
}

/** One field of a `Sentry a=b, c=d` auth header. */
function authField(fields: string, name: string): string | null {
  for (const part of fields.split(",")) {
    const [field, ...rest] = part.trim().split("=");
    if (field?.trim() === name) return rest.join("=").trim() || null;
  }
  return null;
}

function keyOfDsn(dsn: string): string | null {
  try {
    return decodeURIComponent(new URL(dsn).username) || null;
  } catch {
    return null;
  }
}
