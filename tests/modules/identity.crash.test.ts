import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Store } from "../../src/store/db";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

/**
 * The shared writes of the group commit (claims, properties, feedback), for real: a spawned server
 * under a mixed load of them and of events is killed with SIGKILL mid-load and restarted; every
 * write a client saw acknowledged must be there, once.
 */
const dir = tempDir("roost-shared-crash-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const acked = {
  feedback: new Map<string, string>(),
  claims: new Map<string, string>(),
  properties: new Map<string, string>(),
};
let n = 0;

async function load(server: RunningServer, key: string, stop: { now: boolean }): Promise<number> {
  const post = (path: string, body: unknown) =>
    fetch(`${server.base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  let failures = 0;
  const worker = async () => {
    while (!stop.now) {
      const i = n++;
      try {
        switch (i % 4) {
          case 0: {
            const message = `crash feedback ${i}`;
            const r = await post("/v1/feedback", { message, environment: "backend" });
            if (r.status === 201) acked.feedback.set(message, ((await r.json()) as { id: string }).id);
            break;
          }
          case 1: {
            const r = await post("/v1/identity/claim", {
              anonymous_id: `owl_anon_crash-${i}`,
              user_id: `user-${i}`,
            });
            if (r.status === 200) acked.claims.set(`owl_anon_crash-${i}`, `user-${i}`);
            break;
          }
          case 2: {
            const r = await post("/v1/identity/properties", {
              user_id: `props-${i}`,
              properties: { v: `${i}` },
            });
            if (r.status === 200) acked.properties.set(`props-${i}`, `${i}`);
            break;
          }
          default: {
            const events = Array.from({ length: 20 }, (_, j) => ({
              client_event_id: `crash-${i}-${j}`,
              session_id: "s",
              user_id: `owl_anon_crash-${i - 2}`,
              level: "info",
              message: "m",
              environment: "backend",
            }));
            await post("/v1/ingest", { events });
          }
        }
      } catch {
        // The server died mid-request: not acknowledged, so nothing is owed.
        failures++;
        if (!stop.now) await Bun.sleep(5);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return failures;
}

describe("kill -9 under claims, properties, feedback and events", () => {
  test("keeps every acknowledged shared write, once", async () => {
    let server = await startServer(dir);
    const { client } = firstRunKeys(server.startup);
    // Killed mid-load once each kind has been acknowledged this often (at least half a second in,
    // at most ten): a busy machine acknowledges less per second, and a fixed wait left too few.
    for (const enough of [12, 24]) {
      const stop = { now: false };
      const running = load(server, client, stop);
      const started = Date.now();
      const least = () => Math.min(acked.feedback.size, acked.claims.size, acked.properties.size);
      while ((Date.now() - started < 500 || least() < enough) && Date.now() - started < 10_000)
        await Bun.sleep(25);
      server.child.kill("SIGKILL");
      await server.child.exited;
      stop.now = true;
      await running;
      server = await startServer(dir);
    }
    expect(await stopServer(server)).toBe(0);
    expect(acked.feedback.size).toBeGreaterThan(20);
    expect(acked.claims.size).toBeGreaterThan(20);
    expect(acked.properties.size).toBeGreaterThan(20);

    const store = await Store.open(dir, { threads: 2, memoryLimit: "512MB", readers: 1 });
    try {
      const feedback = await store.read<{ id: string; message: string; n: number }>(
        "SELECT any_value(id::VARCHAR) AS id, message, count(*)::INTEGER AS n FROM feedback GROUP BY message",
      );
      const byMessage = new Map(feedback.map((f) => [f.message, f]));
      for (const [message, id] of acked.feedback)
        expect(byMessage.get(message)).toEqual({ id, message, n: 1 });
      const claims = new Map(
        (
          await store.read<{ a: string; u: string }>(
            "SELECT anonymous_id AS a, user_id AS u FROM identity_claims",
          )
        ).map((c) => [c.a, c.u]),
      );
      for (const [anonymous, user] of acked.claims) expect(claims.get(anonymous)).toBe(user);
      const properties = new Map(
        (
          await store.read<{ user_id: string; v: string }>(
            "SELECT user_id, properties->>'v' AS v FROM app_users WHERE starts_with(user_id, 'props-')",
          )
        ).map((p) => [p.user_id, p.v]),
      );
      for (const [user, v] of acked.properties) expect(properties.get(user)).toBe(v);
      // A claimed anonymous id's events are stored under its user (whichever came first).
      const [anonymous] = await store.read<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM events e JOIN identity_claims c
         ON c.project_id = e.project_id AND c.anonymous_id = e.user_id`,
      );
      expect(anonymous?.n).toBe(0);
    } finally {
      await store.close();
    }
  }, 90_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
