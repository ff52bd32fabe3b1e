import { KEY_PREFIX, type KeyKind } from "../access/permissions";

/** A key's secret: its kind's prefix and 48 lowercase hex characters from a CSPRNG. */
export function generateKeySecret(kind: KeyKind): string {
  return KEY_PREFIX[kind] + Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
}

/** Only this hash is stored; a presented key is found by hashing it again. */
export function hashKeySecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

/** Enough of the secret to tell keys apart in a list, never enough to use one. */
export function displayPrefix(secret: string): string {
  const kind = Object.values(KEY_PREFIX).find((p) => secret.startsWith(p)) ?? "";
  return `${secret.slice(0, kind.length + 4)}…`;
}

export function looksLikeKey(token: string): boolean {
  return Object.values(KEY_PREFIX).some((p) => token.startsWith(p));
}
