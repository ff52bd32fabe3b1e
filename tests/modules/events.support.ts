import { afterAll, beforeAll, expect } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * The events API tests' shared setup (events.test.ts, on every backend; events.embedded.test.ts,
 * on the embedded store only): a tenant with events read access, a stranger, an import key, and
 * helpers to put events and page through them.
 */
export function eventsFixture() {
  const f = {} as { roost: Roost; t: Tenant; stranger: Tenant; importKey: string };
  beforeAll(async () => {
    // The rate limit has a test of its own; here it would only get in the way.
    f.roost = await startRoost({ eventsRateLimit: { burst: 1_000_000, perSecond: 1_000_000 } });
    f.t = await f.roost.tenant("Events");
    f.stranger = await f.roost.tenant("Stranger");
    f.importKey = (
      await f.roost.call("POST", "/v1/keys", {
        token: f.t.token,
        body: { kind: "import", name: "i", app_id: f.t.app.id },
      })
    ).body.secret;
  });
  afterAll(() => f.roost.close());

  let seq = 0;
  const ev = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    client_event_id: `ev-${seq++}`,
    session_id: "s-1",
    level: "info",
    message: "m",
    environment: "ios",
    ...over,
  });
  async function put(events: Record<string, unknown>[], token = f.importKey, bundle = f.t.app.bundle_id) {
    const r = await f.roost.call("POST", "/v1/import", { token, body: { bundle_id: bundle, events } });
    expect(r.body.accepted).toBe(events.length);
  }
  const list = (query: string, token = f.t.adminKey) => f.roost.call("GET", `/v1/events?${query}`, { token });

  /** Follows the cursor to the end; returns every event id in the order received. */
  async function pageAll(query: string, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 1000; guard++) {
      const r = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      ids.push(...r.body.events.map((e: { id: string }) => e.id));
      expect(r.body.cursor === null).toBe(!r.body.has_more);
      if (!r.body.has_more) return ids;
      cursor = r.body.cursor;
    }
    throw new Error("too many pages");
  }
  return { f, ev, put, list, pageAll };
}
