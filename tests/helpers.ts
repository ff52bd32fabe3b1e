import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, createApp, type Services } from "../src/app";
import { type Config, testConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { KEY_KIND_PERMISSIONS } from "../src/modules/access/permissions";
import { sumOutcomes } from "../src/modules/outcomes/repository";
import { sumOutcomesClickHouse } from "../src/modules/outcomes/repository.clickhouse";
import { createTeamIn } from "../src/modules/teams/service";
import { insertMembership } from "../src/modules/users/repository";
import { findOrCreateUser } from "../src/modules/users/service";
import { BlobStore } from "../src/store/blobs";
import { ClickHouse } from "../src/store/clickhouse/client";
import { literal } from "../src/store/clickhouse/literal";
import { Store } from "../src/store/db";
import { Lake } from "../src/store/lake";
import { migrate } from "../src/store/migrations";
import { PgStore } from "../src/store/postgres/db";

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/**
 * The Roost the tests drive. By default: one with its own empty data directory, driven through
 * `app.handle` (no port). With ROOST_TEST_CLUSTER set (`npm run test:cluster`), the cluster that
 * scripts/cluster.sh started: requests go through its round-robin proxy to both nodes, and
 * `store` is the cluster's control plane in PostgreSQL (decision 017).
 */
export async function startRoost(overrides: Partial<Config> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "roost-test-"));
  const config = testConfig(dir, overrides);
  const { store, app, services, ch } = CLUSTER ? await clusterRoost(dir) : await embeddedRoost(dir, config);
  const call = requester(app);

  /** A user who owns a new team, signed in: the usual starting point of a test. */
  async function tenant(name: string) {
    const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const password = "correct horse battery";
    const { user, team } = await store.write(async (tx) => {
      const { user } = await findOrCreateUser(tx, { email, name, password });
      const team = await createTeamIn(tx, `${name} team`, undefined);
      await insertMembership(tx, team.id, user.id, "owner");
      return { user, team };
    });
    const login = await call("POST", "/v1/auth/login", { body: { email, password } });
    const token: string = login.body.token;
    const project = (await call("POST", "/v1/projects", { token, body: { team_id: team.id, name: "Main" } }))
      .body;
    const app = (
      await call("POST", "/v1/apps", {
        token,
        body: {
          project_id: project.id,
          name: "iOS",
          platform: "apple",
          bundle_id: `com.${name.toLowerCase()}.app`,
        },
      })
    ).body;
    const agent = (
      await call("POST", "/v1/keys", {
        token,
        body: {
          kind: "agent",
          name: "all",
          team_id: team.id,
          // Every permission an agent key may hold.
          permissions: KEY_KIND_PERMISSIONS.agent.allowed,
        },
      })
    ).body;
    return {
      user,
      email,
      password,
      token,
      team,
      project,
      app,
      clientKey: app.client_key.secret as string,
      adminKey: agent.secret as string,
    };
  }

  async function close() {
    await roost.services.grouper?.stop();
    await roost.services.notifications?.stop();
    // The store a test reopened (a restart), if it did.
    await roost.store.close();
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  }

  /** A project's outcome totals, from whichever store holds them. */
  const outcomes = (projectId: string) =>
    ch ? sumOutcomesClickHouse(ch, projectId) : sumOutcomes(store, projectId);

  /** An app's stored events as rows (ids as text, times as Dates), oldest arrival first. */
  const stored = (appId: string): Promise<Array<Record<string, any>>> =>
    ch ? storedOnClickHouse(ch, appId) : storedEmbedded(store, appId);

  /** Where the server keeps attachment bytes: its data directory, or the cluster's shared one. */
  const blobs = CLUSTER ? new BlobStore(CLUSTER.attachments) : BlobStore.of(dir);

  /** The secret the server signs sessions and URLs with. */
  const secret = async (): Promise<string> =>
    CLUSTER
      ? ((
          await store.read<{ value: string }>("SELECT value FROM cluster_settings WHERE name = 'jwt_secret'")
        )[0]?.value as string)
      : readFileSync(join(dir, "secret"), "utf8").trim();

  /**
   * Once every error stored so far is grouped into an issue: the embedded grouper's next round, or
   * on a cluster the grouping node's index holding every error ClickHouse has (grouping runs a
   * second or two behind there).
   */
  const issuesSettled = async (): Promise<void> => {
    if (!ch) return roost.services.grouper.settle();
    const deadline = Date.now() + 20_000;
    const until = Date.now();
    for (;;) {
      const projects = (await store.read<{ id: string }>("SELECT id::VARCHAR AS id FROM projects")).map(
        (r) => r.id,
      );
      const errors = await ch.rows<{ id: string }>(
        `SELECT toString(id) AS id FROM events
         WHERE ((isNull(kind) AND level = 'error') OR kind = 'event') AND received_ms <= ${literal(until)}
           AND toString(project_id) IN (${projects.map((id) => literal(id)).join(", ") || "''"})`,
      );
      const grouped = new Set(
        (await store.read<{ id: string }>("SELECT event_id::VARCHAR AS id FROM issue_events")).map(
          (r) => r.id,
        ),
      );
      const waiting = errors.filter((e) => !grouped.has(e.id)).length;
      if (waiting === 0) return;
      if (Date.now() > deadline) throw new Error(`${waiting} errors not grouped after 20 s`);
      await Bun.sleep(100);
    }
  };

  /** Whether this is the cluster (`npm run test:cluster`): no lake, no seal. */
  const onCluster = CLUSTER !== null;

  /**
   * The embedded store's lake: seal and compact what is hot. A cluster has none: its events stay
   * where they are, and whatever a seal or a compaction must not change holds there as it is.
   */
  const lakeOf = () => new Lake(roost.store, dir, createLogger("silent"));
  const lake = {
    seal: async (cutoff = new Date(Date.now() + 1000)) => {
      if (!onCluster) await lakeOf().seal(cutoff);
    },
    compact: async (now: Date) => {
      if (!onCluster) await lakeOf().compact(now);
    },
    /** The embedded store's retention (its tests run there only). */
    retain: (now: Date) => lakeOf().retain(now),
  };
  const roost = {
    dir,
    config,
    store,
    app,
    services,
    call,
    tenant,
    close,
    outcomes,
    stored,
    blobs,
    secret,
    onCluster,
    issuesSettled,
    lake,
  };
  return roost;
}

/** The cluster under test (`npm run test:cluster`): its proxy and its PostgreSQL. */
const CLUSTER = process.env.ROOST_TEST_CLUSTER
  ? {
      proxy: process.env.ROOST_PROXY_URL as string,
      database: process.env.ROOST_DATABASE_URL as string,
      clickhouse: process.env.ROOST_CLICKHOUSE_URL as string,
      attachments: process.env.ROOST_ATTACHMENTS_DIR as string,
    }
  : null;

async function embeddedRoost(dir: string, config: Config) {
  const store = await Store.open(dir, config.duckdb);
  await migrate(store);
  const { app, services } = await createApp(config, { store, log: createLogger("silent") });
  return { store: store as Store, app, services, ch: null };
}

/** The cluster through its proxy; `store` reaches its control plane (tests set up tenants there). */
async function clusterRoost(dir: string) {
  const cluster = CLUSTER as NonNullable<typeof CLUSTER>;
  const store = await PgStore.open(cluster.database, dir, 2);
  const app = {
    handle: async (request: Request) => {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.set("host", url.host);
      return fetch(`${cluster.proxy}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.body ? await request.arrayBuffer() : undefined,
      });
    },
  };
  const ch = new ClickHouse({ url: cluster.clickhouse, shards: [], cluster: "roost" });
  return { store: store as unknown as Store, app: app as unknown as App, services: {} as Services, ch };
}

const storedEmbedded = (store: Store, appId: string) =>
  store.read<Record<string, any>>(
    `SELECT *, id::VARCHAR AS id, app_id::VARCHAR AS app_id, project_id::VARCHAR AS project_id, api_key_id::VARCHAR AS api_key_id
     FROM events WHERE app_id = ?::UUID ORDER BY received_at, client_event_id`,
    [appId],
  );

/** The same rows from ClickHouse, shaped as the embedded store's. */
async function storedOnClickHouse(ch: ClickHouse, appId: string) {
  const rows = await ch.rows<Record<string, any>>(
    `SELECT client_event_id, session_id, user_id, api_key_id, level, source_module, message, screen_name,
       custom_attributes, experiments, environment, os_version, app_version, sdk_name, sdk_version, build_number,
       device_model, locale, country_code, is_dev, ts, received_ms, kind, payload, toString(id) AS id_text,
       toString(app_id) AS app_text, toString(project_id) AS project_text
     FROM events WHERE app_id = toUUID(${literal(appId)}) ORDER BY received_ms, client_event_id`,
  );
  return rows.map(({ id_text, app_text, project_text, ts, received_ms, is_dev, ...row }) => ({
    ...row,
    id: id_text,
    app_id: app_text,
    project_id: project_text,
    is_dev: Number(is_dev) === 1,
    timestamp: new Date(Number(ts)),
    received_at: new Date(Number(received_ms)),
  }));
}

export interface CallOptions {
  token?: string;
  /** JSON-encoded unless it is a string or bytes, which are sent as they are. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A function that sends requests to `app` (through `handle`, no port) and parses JSON replies. */
export function requester(app: { handle(request: Request): Promise<Response> }) {
  return async function call<T = any>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined;
    if (options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      const raw = options.body;
      body = typeof raw === "string" || raw instanceof Uint8Array ? raw : JSON.stringify(raw);
    }
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  };
}

export type Roost = Awaited<ReturnType<typeof startRoost>>;
export type Tenant = Awaited<ReturnType<Roost["tenant"]>>;
