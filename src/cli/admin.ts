import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { rebuildClusterIssues } from "../cluster/rebuild";
import type { Config } from "../config";
import { controlSocket } from "../control";
import { DEMO_SLUG, demoSummary, loadDemo } from "../demo/load";
import { createLogger } from "../lib/log";
import {
  KEY_KINDS,
  type KeyKind,
  PERMISSIONS,
  type Permission,
  ROLES,
  type Role,
} from "../modules/access/permissions";
import { findApp } from "../modules/apps/repository";
import { purgeAttachments } from "../modules/attachments/purge";
import { type RebuildReport, rebuildIssues } from "../modules/issues/rebuild";
import { findKey, listKeys, revokeKey } from "../modules/keys/repository";
import { createKeyIn, presentKey } from "../modules/keys/service";
import { allTeamIds, findTeam, findTeamBySlug, type TeamRow } from "../modules/teams/repository";
import { findMembership, insertMembership } from "../modules/users/repository";
import { findOrCreateUser } from "../modules/users/service";
import { BackupError, type BackupManifest, backup, restore } from "../store/backup";
import { BlobStore } from "../store/blobs";
import { type Database, Store } from "../store/db";
import { StorageJob } from "../store/jobs";
import { openLake } from "../store/lake";
import { migrate } from "../store/migrations";
import { PgStore } from "../store/postgres/db";
import { controlPlane } from "../store/postgres/schema";
import { type Args, optionalFlag, requireFlag, UsageError } from "./args";

/**
 * The administrative commands. They open the data directory themselves, so they run while no server
 * holds it; while one runs, DuckDB's lock makes them refuse with a message that says so.
 */
/**
 * The control plane a command works on: the embedded store in the data directory, or on a cluster
 * (ROOST_STORE=clickhouse) its PostgreSQL, migrated as a node migrates it, whose changes every
 * node sees before its next request.
 */
async function withControlPlane<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  if (config.store !== "clickhouse") return withStore(config, work);
  if (!config.databaseUrl) throw new UsageError("ROOST_STORE=clickhouse needs ROOST_DATABASE_URL");
  const pg = await PgStore.open(config.databaseUrl, config.dataDir, 2);
  try {
    await pg.exclusive(() => migrate(pg, controlPlane));
    return await work(pg);
  } finally {
    await pg.close();
  }
}

/** Commands of the embedded store's files refuse a cluster, rather than open a DuckDB beside it. */
function embeddedOnly(config: Config, command: string, instead: string): void {
  if (config.store === "clickhouse")
    throw new UsageError(
      `roost ${command} works on the embedded store's data directory; on a cluster, ${instead}`,
    );
}

export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(config.dataDir, { ...config.duckdb, readers: 1 });
  try {
    await migrate(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

async function resolveTeam(store: Database, ref: string | undefined): Promise<TeamRow> {
  if (ref) {
    const team = (await findTeamBySlug(store, ref)) ?? (await findTeam(store, ref));
    if (!team) throw new UsageError(`No team '${ref}' (give its slug or id)`);
    return team;
  }
  const all = await allTeamIds(store);
  const only = all.length === 1 && all[0] ? await findTeam(store, all[0]) : null;
  if (!only) throw new UsageError("--team is required: there is more than one team (or none)");
  return only;
}

function list<T extends string>(raw: string, allowed: readonly T[], what: string): T[] {
  const values = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = values.filter((v) => !allowed.includes(v as T));
  if (bad.length) throw new UsageError(`Unknown ${what}: ${bad.join(", ")}. Allowed: ${allowed.join(", ")}`);
  return values as T[];
}

export async function keysCreate(config: Config, { flags }: Args): Promise<string> {
  const kind = (optionalFlag(flags, "kind") ?? "agent") as KeyKind;
  if (!KEY_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${KEY_KINDS.join(", ")}`);
  const permissionsFlag = optionalFlag(flags, "permissions");
  const expires = optionalFlag(flags, "expires-in-days");
  return withControlPlane(config, async (store) => {
    let teamId: string;
    let appId: string | null = null;
    if (kind === "agent") {
      teamId = (await resolveTeam(store, optionalFlag(flags, "team"))).id;
    } else {
      const app = await findApp(store, requireFlag(flags, "app"));
      if (!app) throw new UsageError(`No app '${flags.app}'`);
      teamId = app.team_id;
      appId = app.id;
    }
    const key = await store.write((tx) =>
      createKeyIn(tx, {
        kind,
        name: optionalFlag(flags, "name") ?? `${kind} key`,
        teamId,
        appId,
        permissions: permissionsFlag
          ? list<Permission>(permissionsFlag, PERMISSIONS, "permission")
          : undefined,
        expiresInDays: expires ? Number(expires) : undefined,
        createdBy: null,
      }),
    );
    return [
      `Created ${key.kind} key ${key.id} (${key.permissions.join(", ")}).`,
      "Its secret, shown only now:",
      `  ${key.secret}`,
    ].join("\n");
  });
}

export async function keysList(config: Config, { flags }: Args): Promise<string> {
  return withControlPlane(config, async (store) => {
    const team = optionalFlag(flags, "team");
    const teamIds = team ? [(await resolveTeam(store, team)).id] : await allTeamIds(store);
    const keys = (await listKeys(store, teamIds, null)).map(presentKey);
    if (keys.length === 0) return "No keys.";
    return keys
      .map((k) => {
        const state = k.revoked_at
          ? "revoked"
          : k.expires_at && k.expires_at < new Date().toISOString()
            ? "expired"
            : "active";
        return `${k.id}  ${k.kind.padEnd(6)}  ${k.prefix.padEnd(16)}  ${state.padEnd(7)}  ${k.permissions.join(",")}  ${k.name}`;
      })
      .join("\n");
  });
}

export async function keysRevoke(config: Config, { positionals }: Args): Promise<string> {
  const id = positionals[2];
  if (!id) throw new UsageError("usage: roost keys revoke <key id>");
  return withControlPlane(config, async (store) => {
    await store.write(async (tx) => {
      if (!(await findKey(tx, id))) throw new UsageError(`No key '${id}'`);
      await revokeKey(tx, id);
    });
    return `Revoked key ${id}.`;
  });
}

export async function usersAdd(config: Config, { flags }: Args): Promise<string> {
  const email = requireFlag(flags, "email");
  const role = (optionalFlag(flags, "role") ?? "member") as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  const password = optionalFlag(flags, "password");
  if (password !== undefined && password.length < 8)
    throw new UsageError("--password must be at least 8 characters");
  return withControlPlane(config, async (store) => {
    const team = await resolveTeam(store, optionalFlag(flags, "team"));
    return store.write(async (tx) => {
      const { user, created } = await findOrCreateUser(tx, {
        email,
        name: optionalFlag(flags, "name"),
        password,
      });
      if (await findMembership(tx, team.id, user.id)) {
        throw new UsageError(`${user.email} is already a member of team ${team.slug}`);
      }
      await insertMembership(tx, team.id, user.id, role);
      return `${created ? "Created" : "Added"} ${user.email} as ${role} of team ${team.slug}.`;
    });
  });
}

/** `roost seal` (every hot event, now) and `roost compact` (the storage job as scheduled, now). */
export async function storageNow(config: Config, sealEverything: boolean): Promise<string> {
  embeddedOnly(
    config,
    sealEverything ? "seal" : "compact",
    "events stay in ClickHouse: roost export writes the lake's Parquet layout",
  );
  return withStore(config, async (store) => {
    const log = createLogger(config.logLevel, undefined, config.logFormat);
    const lake = openLake(store, config, log);
    await lake.recover();
    const blobs = BlobStore.of(config.dataDir);
    const report = await new StorageJob(store, lake, log, {
      ...config.storage,
      purgeAttachments: (now) => purgeAttachments(store, blobs, now),
    }).run(sealEverything);
    return [
      `sealed ${report.sealed.rows} events into ${report.sealed.files} files`,
      `compacted ${report.compacted.filesIn} files in ${report.compacted.partitions} partitions`,
      `deleted ${report.purged} retired files`,
      `${report.ms} ms`,
    ].join("; ");
  });
}

/** `roost issues rebuild`: every issue recomputed from the stored errors (decision 011). */
export async function issuesRebuild(config: Config): Promise<string> {
  const done = (r: RebuildReport) =>
    `rebuilt ${r.issues} issues from ${r.errors} errors in ${r.projects} projects; ${r.ms} ms`;
  if (config.store === "clickhouse")
    return done(
      await rebuildClusterIssues(config, createLogger(config.logLevel, undefined, config.logFormat)),
    );
  return withStore(config, async (store) => {
    const lake = openLake(store, config, createLogger(config.logLevel, undefined, config.logFormat));
    await lake.recover();
    const r = await rebuildIssues(
      store,
      config.dataDir,
      createLogger(config.logLevel, undefined, config.logFormat),
    );
    return done(r);
  });
}

/** `roost demo`: the demo team's sample week, loaded into a stopped server's data directory. */
export async function demoNow(config: Config): Promise<string> {
  embeddedOnly(config, "demo", "start a single Roost to see the demo week");
  return withStore(config, async (store) => {
    const report = await loadDemo(store, BlobStore.of(config.dataDir));
    if (!report) return `Team '${DEMO_SLUG}' exists already: nothing loaded.`;
    return demoSummary(report);
  });
}

/**
 * `roost backup <dir>`: through the running server's control socket when one serves the data
 * directory, else straight from the stopped directory (decision 014).
 */
export async function backupNow(config: Config, target: string): Promise<string> {
  embeddedOnly(config, "backup", "back up PostgreSQL and ClickHouse with their own tools");
  const dir = resolve(target);
  const socket = controlSocket(config.dataDir);
  if (existsSync(socket)) {
    const r = await fetch("http://roost/backup", {
      unix: socket,
      method: "POST",
      body: JSON.stringify({ dir }),
    }).catch(() => null);
    if (r) {
      const body = (await r.json()) as BackupManifest & { error?: string };
      if (r.status !== 200) throw new BackupError(body.error ?? `backup failed (${r.status})`);
      return backupSummary(dir, body, "from the running server");
    }
  }
  return withStore(config, async (store) => {
    // The lake's cache knows which files only the bucket holds (ROOST_LAKE_URL).
    await openLake(store, config, createLogger(config.logLevel, undefined, config.logFormat)).recover();
    return backupSummary(
      dir,
      await backup(store, config.dataDir, dir, config.version),
      "from the stopped data directory",
    );
  });
}

/** `roost restore <dir>`: a finished backup into an empty data directory. */
export function restoreNow(config: Config, source: string): string {
  embeddedOnly(config, "restore", "restore PostgreSQL and ClickHouse with their own tools");
  const manifest = restore(resolve(source), config.dataDir);
  return `Restored ${manifest.files.length} files (${manifest.events} events, backed up ${manifest.created_at}) into ${config.dataDir}.`;
}

const backupSummary = (dir: string, m: BackupManifest, how: string) =>
  `Backed up ${m.files.length} files (${m.events} events) ${how} into ${dir}.`;
