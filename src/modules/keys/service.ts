import { dsnOf, sentryInitSnippet } from "../../lib/dsn";
import { badRequest, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { iso, isoRequired } from "../../lib/time";
import type { Database, Tx } from "../../store/db";
import { authorize, type Caller, defaultTeam, teamsWith } from "../access/caller";
import { KEY_KIND_PERMISSIONS, type KeyKind, type Permission } from "../access/permissions";
import type { CreateKeyBody, Key } from "./model";
import { findKey, insertKey, type KeyRow, listKeys, revokeKey } from "./repository";
import { displayPrefix, generateKeySecret, hashKeySecret } from "./secret";

export type KeyView = typeof Key.static;
export type CreatedKeyView = KeyView & { secret: string };

export const keyNotFound = () => notFound("Key not found");

export function presentKey(row: KeyRow): KeyView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    prefix: row.prefix,
    team_id: row.team_id,
    app_id: row.app_id,
    permissions: row.permissions,
    events_per_minute: row.events_per_minute,
    created_at: isoRequired(row.created_at),
    expires_at: iso(row.expires_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

export interface KeySpec {
  kind: KeyKind;
  name: string;
  teamId: string;
  appId: string | null;
  permissions?: readonly Permission[];
  expiresInDays?: number;
  eventsPerMinute?: number;
  createdBy: string | null;
}

/**
 * Creates a key inside the caller's transaction and returns it with its secret, which exists only
 * in this return value: the database keeps its SHA-256.
 */
export async function createKeyIn(tx: Tx, spec: KeySpec): Promise<CreatedKeyView> {
  const rules = KEY_KIND_PERMISSIONS[spec.kind];
  const permissions = spec.permissions ?? rules.default;
  const refused = permissions.filter((p) => !rules.allowed.includes(p));
  if (refused.length > 0) {
    throw badRequest(
      `permissions: ${refused.join(", ")} not allowed for ${spec.kind} keys. Allowed: ${rules.allowed.join(", ")}`,
    );
  }
  if ((spec.kind === "client" || spec.kind === "import") && !spec.appId) {
    throw badRequest(`app_id is required for ${spec.kind} keys`);
  }
  const secret = generateKeySecret(spec.kind);
  const id = newId();
  await insertKey(tx, {
    id,
    kind: spec.kind,
    teamId: spec.teamId,
    appId: spec.kind === "agent" ? null : spec.appId,
    name: spec.name,
    secretHash: hashKeySecret(secret),
    prefix: displayPrefix(secret),
    permissions,
    eventsPerMinute: spec.eventsPerMinute ?? null,
    createdBy: spec.createdBy,
    expiresAt: spec.expiresInDays ? new Date(Date.now() + spec.expiresInDays * 86_400_000) : null,
  });
  const row = await findKey(tx, id);
  if (!row) throw new Error(`key ${id} vanished inside its own transaction`);
  return { ...presentKey(row), secret };
}

/**
 * A live app's id and team, read inside the caller's transaction. Handed in by whoever wires the
 * services (the apps module's lookup): apps create their first key through this module, so keys
 * must not import apps back.
 */
export type AppOwnerLookup = (
  tx: Tx,
  appId: string,
) => Promise<{ id: string; team_id: string; sentry_id: number } | null>;

export class KeysService {
  constructor(
    private readonly store: Database,
    /** Called after a change that cached lookups (keys, ingest contexts) must see. */
    private readonly changed: () => void,
    private readonly appOwner: AppOwnerLookup,
  ) {}

  async list(caller: Caller, query: { team_id?: string; app_id?: string }): Promise<KeyView[]> {
    let teams = teamsWith(caller, "org:admin");
    if (query.team_id) teams = teams.filter((id) => id === query.team_id);
    return (await listKeys(this.store, teams, query.app_id ?? null)).map(presentKey);
  }

  /** `publicBase`: the server's address as SDKs reach it, for a client key's DSN. */
  async create(
    caller: Caller,
    body: CreateKeyBody,
    publicBase: string,
  ): Promise<CreatedKeyView & { dsn?: string; sentry_init?: string }> {
    return this.store.write(async (tx) => {
      let teamId: string;
      let appId: string | null = null;
      let sentryId: number | null = null;
      if (body.kind === "agent") {
        teamId = body.team_id ?? defaultTeam(caller);
      } else {
        if (!body.app_id) throw badRequest(`app_id is required for ${body.kind} keys`);
        const app = await this.appOwner(tx, body.app_id);
        if (!app) throw notFound("App not found");
        teamId = app.team_id;
        appId = app.id;
        sentryId = app.sentry_id;
      }
      authorize(caller, teamId, "org:admin", () => notFound(appId ? "App not found" : "Team not found"));
      const key = await createKeyIn(tx, {
        kind: body.kind,
        name: body.name,
        teamId,
        appId,
        permissions: body.permissions,
        expiresInDays: body.expires_in_days,
        eventsPerMinute: body.events_per_minute,
        createdBy: caller.type === "user" ? caller.userId : null,
      });
      // A client key is also a DSN for Sentry's SDKs (decision 009).
      if (body.kind !== "client" || sentryId === null) return key;
      const dsn = dsnOf(publicBase, key.secret, sentryId);
      return { ...key, dsn, sentry_init: sentryInitSnippet(dsn) };
    });
  }

  async revoke(caller: Caller, id: string): Promise<KeyView> {
    const row = await this.store.write(async (tx) => {
      const key = await findKey(tx, id);
      if (!key) throw keyNotFound();
      authorize(caller, key.team_id, "org:admin", keyNotFound);
      await revokeKey(tx, id);
      return findKey(tx, id);
    });
    this.changed();
    if (!row) throw keyNotFound();
    return presentKey(row);
  }
}
