import { afterAll, beforeAll } from "bun:test";
import { createApp } from "../../src/app";
import { createLogger } from "../../src/lib/log";
import { type Roost, requester, startRoost, type Tenant } from "../helpers";

/**
 * The ingest tests' shared setup (ingest.test.ts, on every backend; ingest.embedded.test.ts, on
 * the embedded store only): a tenant, fresh apps, and what a test reads back.
 */
export function ingestFixture() {
  const f = {} as { roost: Roost; t: Tenant };
  beforeAll(async () => {
    f.roost = await startRoost();
    f.t = await f.roost.tenant("Ingest");
  });
  afterAll(() => f.roost.close());

  let seq = 0;
  /** A valid event for the tenant's apple app; override any field. */
  const event = (over: Record<string, unknown> = {}) => ({
    client_event_id: crypto.randomUUID(),
    session_id: `session-${seq++}`,
    level: "info",
    message: "screen_viewed",
    environment: "ios",
    ...over,
  });

  /** A fresh project with one apple app, so each test reads only its own outcomes. */
  async function freshApp(project: Record<string, unknown> = {}, platform = "apple") {
    const p = await f.roost.call("POST", "/v1/projects", {
      token: f.t.token,
      body: { team_id: f.t.team.id, name: "p", ...project },
    });
    const bundle = platform === "backend" ? undefined : `com.fresh.${seq++}`;
    const a = await f.roost.call("POST", "/v1/apps", {
      token: f.t.token,
      body: { project_id: p.body.id, name: "a", platform, bundle_id: bundle },
    });
    return {
      projectId: p.body.id as string,
      appId: a.body.id as string,
      key: a.body.client_key.secret as string,
      bundle,
    };
  }

  const send = (key: string, body: unknown, headers: Record<string, string> = {}, call = f.roost.call) =>
    call("POST", "/v1/ingest", { token: key, body, headers });
  /** The same data directory served by a new app instance: what a restart sees (embedded store). */
  const restart = async () =>
    requester((await createApp(f.roost.config, { store: f.roost.store, log: createLogger("silent") })).app);

  const outcomes = (projectId: string) => f.roost.outcomes(projectId);
  /** An app's events through the events API, every one (hot and sealed). */
  const listed = async (a: { appId: string }) =>
    (
      await f.roost.call("GET", `/v1/events?app_id=${a.appId}&since=2000-01-01&limit=200`, {
        token: f.t.token,
      })
    ).body.events as Array<{ id: string; client_event_id: string; message: string }>;
  const stored = (appId: string) => f.roost.stored(appId);
  return { f, event, freshApp, send, restart, outcomes, listed, stored };
}
