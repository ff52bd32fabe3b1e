import { unauthorized } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import type { Database } from "../../store/db";
import type { Caller } from "../access/caller";
import { findKeyByHash, type KeyRow, touchKeys } from "../keys/repository";
import { hashKeySecret, looksLikeKey } from "../keys/secret";
import { findUser, findUserByEmail, rolesOf } from "../users/repository";

export interface TokenSigner {
  sign(claims: { sub: string; exp: number }): Promise<string>;
  verify(token: string): Promise<Record<string, unknown> | false>;
}

/** How long a looked-up key is trusted before it is read again (revocation clears it at once). */
const KEY_CACHE_MS = 30_000;
/**
 * A known hash for unknown emails, so a login's timing does not tell which emails exist. Made in
 * the background (argon2id takes ~0.25 s here), not awaited at import: start-up does not wait.
 */
const DUMMY_HASH: Promise<string> = Bun.password.hash("roost-timing-equaliser", { algorithm: "argon2id" });

export class AuthService {
  private readonly keyCache = new Map<string, { row: KeyRow & { app_live: boolean }; at: number }>();
  private readonly usedKeys = new Set<string>();

  constructor(
    private readonly store: Database,
    private readonly signer: TokenSigner,
    private readonly tokenTtlSeconds: number,
    private readonly log: Logger,
  ) {}

  /** Resolves `Authorization: Bearer <API key | JWT>` to a caller, or throws 401. */
  async identify(authorization: string | undefined | null): Promise<Caller> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) throw unauthorized("Missing credentials: send Authorization: Bearer <API key or token>");
    const token = match[1];
    return looksLikeKey(token) ? this.identifyKey(token) : this.identifyUser(token);
  }

  async login(email: string, password: string) {
    const user = await findUserByEmail(this.store, email);
    const ok = await Bun.password.verify(password, user?.password_hash ?? (await DUMMY_HASH));
    if (!user || !ok) throw unauthorized("Invalid email or password");
    const exp = Math.floor(Date.now() / 1000) + this.tokenTtlSeconds;
    const token = await this.signer.sign({ sub: user.id, exp });
    return {
      token,
      expires_at: new Date(exp * 1000).toISOString(),
      user: { id: user.id, email: user.email, name: user.name },
    };
  }

  /** Drops cached keys, so a revocation or deletion takes effect on the next request. */
  forgetKeys(): void {
    this.keyCache.clear();
  }

  /** Writes `last_used_at` for the keys used since the last flush: one write, not one per request. */
  async flushLastUsed(): Promise<number> {
    if (this.usedKeys.size === 0) return 0;
    const ids = [...this.usedKeys];
    this.usedKeys.clear();
    await this.store.write((tx) => touchKeys(tx, ids, new Date()));
    this.log.debug("keys last_used_at flushed", { keys: ids.length });
    return ids.length;
  }

  private async identifyKey(secret: string): Promise<Caller> {
    const hash = hashKeySecret(secret);
    const cached = this.keyCache.get(hash);
    let row = cached && Date.now() - cached.at < KEY_CACHE_MS ? cached.row : null;
    if (!row) {
      row = await findKeyByHash(this.store, hash);
      if (row) this.keyCache.set(hash, { row, at: Date.now() });
    }
    if (!row?.app_live) throw unauthorized("Invalid API key");
    if (row.revoked_at) throw unauthorized("API key has been revoked");
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) throw unauthorized("API key has expired");
    this.usedKeys.add(row.id);
    return {
      type: "key",
      keyId: row.id,
      kind: row.kind,
      teamId: row.team_id,
      appId: row.app_id,
      permissions: row.permissions,
      eventsPerMinute: row.events_per_minute,
    };
  }

  private async identifyUser(token: string): Promise<Caller> {
    const claims = await this.signer.verify(token).catch(() => false as const);
    if (!claims || typeof claims.sub !== "string") throw unauthorized("Invalid or expired token");
    const user = await findUser(this.store, claims.sub);
    if (!user) throw unauthorized("Invalid or expired token");
    return {
      type: "user",
      userId: user.id,
      email: user.email,
      name: user.name,
      roles: await rolesOf(this.store, user.id),
    };
  }
}
