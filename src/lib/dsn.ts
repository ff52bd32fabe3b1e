/**
 * A Sentry DSN for a client key: `http(s)://<key>@<host>[/path]/<sentry_id>`. Sentry's SDKs take
 * the key as the DSN's user (it must match `\w+`, which `owl_client_…` does) and accept only a
 * number as the project, hence the project's `sentry_id` (decision 009).
 */
export function dsnOf(base: string, key: string, sentryId: number): string {
  const url = new URL(base);
  return `${url.protocol}//${key}@${url.host}${url.pathname.replace(/\/+$/, "")}/${sentryId}`;
}

/** The line a Sentry SDK user pastes: `Sentry.init({ dsn })`. */
export const sentryInitSnippet = (dsn: string): string => `Sentry.init({ dsn: "${dsn}" });`;

/** The server's address as clients reach it: ROOST_PUBLIC_URL when set (behind a proxy), else the request's. */
export const publicBase = (configured: string | undefined, request: Request): string =>
  configured ?? new URL(request.url).origin;
