import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Store } from "../../src/store/db";
import { ingestLoad, type LoadLedger } from "../support/load";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

/**
 * Crash safety, for real: a spawned server under concurrent ingest load is killed with SIGKILL at
 * an arbitrary moment, twice, and restarted; then the store must hold every event the clients saw
 * acknowledged, exactly once, and the outcome counts must match the stored events.
 */
const dir = tempDir("roost-crash-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
const { acked, sent } = ledger;
const load = (server: RunningServer, key: string, connections: number, stop: { now: boolean }) =>
  ingestLoad(server, key, ledger, stop, { connections, batch: 40, resend: 5 });

describe("kill -9 under ingest load", () => {
  test("loses no acknowledged event and duplicates none", async () => {
    let server = await startServer(dir);
    const { client } = firstRunKeys(server.startup);

    for (const wait of [700, 1100]) {
      const stop = { now: false };
      const running = load(server, client, 8, stop);
      await Bun.sleep(wait);
      server.child.kill("SIGKILL");
      await server.child.exited;
      stop.now = true;
      expect(await running).toBe(0);
      server = await startServer(dir);
    }
    // One more round after the last restart, stopped gracefully.
    const stop = { now: false };
    const running = load(server, client, 4, stop);
    await Bun.sleep(400);
    stop.now = true;
    expect(await running).toBe(0);
    expect(await stopServer(server)).toBe(0);

    expect(acked.size).toBeGreaterThan(1000);
    const store = await Store.open(dir, { threads: 2, memoryLimit: "512MB", readers: 1 });
    try {
      const rows = await store.read<{ client_event_id: string; n: number }>(
        "SELECT client_event_id, count(*) AS n FROM events GROUP BY client_event_id",
      );
      const stored = new Map(rows.map((r) => [r.client_event_id, r.n]));
      const missing = [...acked].filter((id) => !stored.has(id));
      const doubled = rows.filter((r) => r.n > 1);
      const unknown = rows.filter((r) => !sent.has(r.client_event_id));
      expect(missing).toEqual([]);
      expect(doubled).toEqual([]);
      expect(unknown).toEqual([]);

      // The storage job may have rolled the minutes of a finished hour up meanwhile (at a five
      // minutes' mark after the hour); those rows move to outcomes_minute_rolled.
      const minutes =
        "(SELECT * FROM outcomes_minute UNION ALL SELECT * FROM outcomes_minute_rolled) AS minutes";
      const [counts] = await store.read<{
        events: number;
        errors: number;
        accepted: number;
        accepted_errors: number;
        session_events: number;
      }>(
        `SELECT
           (SELECT count(*) FROM events) AS events,
           (SELECT count(*) FROM events WHERE level = 'error') AS errors,
           (SELECT coalesce(sum(quantity), 0) FROM ${minutes} WHERE outcome = 'accepted' AND category IN ('default', 'error')) AS accepted,
           (SELECT coalesce(sum(quantity), 0) FROM ${minutes} WHERE outcome = 'accepted' AND category = 'error') AS accepted_errors,
           (SELECT coalesce(sum(quantity), 0) FROM ${minutes} WHERE outcome = 'accepted' AND category = 'session') AS session_events`,
      );
      expect(counts?.accepted).toBe(counts?.events);
      expect(counts?.accepted_errors).toBe(counts?.errors);
      expect(counts?.session_events).toBe(counts?.events);
      const [dupes] = await store.read<{ q: number }>(
        `SELECT coalesce(sum(quantity), 0) AS q FROM ${minutes} WHERE reason = 'duplicate'`,
      );
      expect(dupes?.q).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 90_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
