import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, createApp, type Services } from "../src/app";
import { type Config, testConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { KEY_KIND_PERMISSIONS } from "../src/modules/access/permissions";
import { createTeamIn } from "../src/modules/teams/service";
import { insertMembership } from "../src/modules/users/repository";
import { findOrCreateUser } from "../src/modules/users/service";
import { Store } from "../src/store/db";
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
  const { store, app, services } = CLUSTER ? await clusterRoost(dir) : await embeddedRoost(dir, config);
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
    rmSync(dir, { recursive: true, force: true });
  }

  const roost = { dir, config, store, app, services, call, tenant, close };
  return roost;
}

/** The cluster under test (`npm run test:cluster`): its proxy and its PostgreSQL. */
const CLUSTER = process.env.ROOST_TEST_CLUSTER
  ? { proxy: process.env.ROOST_PROXY_URL as string, database: process.env.ROOST_DATABASE_URL as string }
  : null;

async function embeddedRoost(dir: string, config: Config) {
  const store = await Store.open(dir, config.duckdb);
  await migrate(store);
  const { app, services } = await createApp(config, { store, log: createLogger("silent") });
  return { store: store as Store, app, services };
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
  return { store: store as unknown as Store, app: app as unknown as App, services: {} as Services };
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
