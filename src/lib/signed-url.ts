import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Expiring URLs signed with the data directory's secret: the signature covers what the URL is for
 * (upload or download), the object's id and the expiry, so none can be changed without breaking it.
 */
export class UrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own, so a signature can never be replayed as anything signed with the JWT secret.
    this.key = createHmac("sha256", secret).update("roost signed urls").digest();
  }

  /** The query string for `purpose` on `id`, good until `expiresAt`. */
  sign(purpose: string, id: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `expires=${expires}&signature=${this.signature(purpose, id, expires)}`;
  }

  /** Null when the URL is genuine and unexpired, else why not. */
  check(
    purpose: string,
    id: string,
    query: { expires?: string; signature?: string },
    now = Date.now(),
  ): "invalid" | "expired" | null {
    const expires = Number(query.expires);
    if (!query.signature || !Number.isInteger(expires)) return "invalid";
    const expected = Buffer.from(this.signature(purpose, id, expires));
    const given = Buffer.from(query.signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
    return expires * 1000 <= now ? "expired" : null;
  }

  private signature(purpose: string, id: string, expires: number): string {
    return createHmac("sha256", this.key).update(`${purpose}\n${id}\n${expires}`).digest("base64url");
  }
}
