import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createLogger } from "../../src/lib/log";
import { PLATFORM_ENVIRONMENTS, type Platform } from "../../src/lib/vocab";
import { createKeyIn } from "../../src/modules/keys/service";
import { Store } from "../../src/store/db";
import { eventsSource } from "../../src/store/events-source";
import { Lake } from "../../src/store/lake";
import { firstRunKeys, killServersAfterAll, startServer, stopServer, tempDir } from "../support/server";

/**
 * Crash safety of an import that replaces sealed events, for real: its commit writes lake files
 * again without the old copies. A spawned server re-importing sealed events from several
 * connections is killed with SIGKILL mid-way, twice; after a restart every event is stored
 * exactly once (hot or sealed), every acknowledged replacement is the one stored, and every lake
 * file the manifest lists exists.
 */
const dir = tempDir("roost-import-crash-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVENTS = 12_000;
const BATCH = 100;
const quiet = { ROOST_STORAGE_SCHEDULE: "0 0 1 1 *" };
const open = () => Store.open(dir, { threads: 2, memoryLimit: "512MB", readers: 1 });

const event = (n: number, message: string) => ({
  client_event_id: `ev-${n}`,
  session_id: `s-${n % 50}`,
  level: "info",
  message,
  environment,
  // Spread over the last three hours: several partitions, many files once sealed.
  timestamp: new Date(START + n * 800).toISOString(),
});
const START = Date.now() - 3 * 3_600_000;
/** One the first run's app may send (its platform's first). */
let environment = "";

/** Each event's stored copies (hot and lake) and their messages. */
async function storedCopies(store: Store) {
  return store.snapshot(async (tx) => {
    const projects = (await tx.all<{ id: string }>("SELECT id::VARCHAR AS id FROM projects")).map(
      (r) => r.id,
    );
    const source = await eventsSource(tx, dir, { projectIds: projects });
    const rows = await tx.all<{ client_event_id: string; n: number; message: string }>(
      `SELECT client_event_id, count(*) AS n, max(message) AS message FROM (${source.sql}) GROUP BY client_event_id`,
      source.params,
    );
    return new Map(rows.map((r) => [r.client_event_id, r]));
  });
}

describe("kill -9 during imports that replace sealed events", () => {
  test("every event stays stored once, every acknowledged replacement wins, the manifest's files exist", async () => {
    let server = await startServer(dir, quiet);
    const { agent, client } = firstRunKeys(server.startup);
    const me = (await (
      await fetch(`${server.base}/v1/auth/me`, { headers: { authorization: `Bearer ${client}` } })
    ).json()) as any;
    const app = (await (
      await fetch(`${server.base}/v1/apps/${me.key.app_id}`, {
        headers: { authorization: `Bearer ${agent}` },
      })
    ).json()) as any;
    environment = PLATFORM_ENVIRONMENTS[app.platform as Platform][0] as string;
    for (let i = 0; i < EVENTS; i += BATCH) {
      const events = Array.from({ length: BATCH }, (_, j) => event(i + j, "v0"));
      const r = await fetch(`${server.base}/v1/ingest`, {
        method: "POST",
        headers: { authorization: `Bearer ${client}`, "content-type": "application/json" },
        body: JSON.stringify({ bundle_id: app.bundle_id, events }),
      });
      expect(((await r.json()) as { accepted: number }).accepted).toBe(BATCH);
    }
    expect(await stopServer(server)).toBe(0);
    // Sealed, with the import key made, while the server is down.
    let store = await open();
    await new Lake(store, dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    const key = (
      await store.write((tx) =>
        createKeyIn(tx, {
          kind: "import",
          name: "crash",
          teamId: app.team_id,
          appId: app.id,
          createdBy: null,
        }),
      )
    ).secret;
    await store.close();

    /** Acknowledged replacements: event → the round whose copy must be stored. */
    const acked = new Map<number, number>();
    for (const round of [1, 2]) {
      if (round === 2) {
        // What round 1 replaced is hot now: sealed again, so round 2 rewrites files too.
        const sealing = await open();
        await new Lake(sealing, dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
        await sealing.close();
      }
      server = await startServer(dir, quiet);
      const stop = { now: false };
      let batches = 0;
      const killed = Promise.withResolvers<void>();
      const importer = async (lane: number) => {
        for (let i = lane * BATCH; i < EVENTS && !stop.now; i += 4 * BATCH) {
          const numbers = Array.from({ length: BATCH }, (_, j) => i + j);
          const r = await fetch(`${server.base}/v1/import`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({
              bundle_id: app.bundle_id,
              events: numbers.map((n) => event(n, `v${round}`)),
            }),
          }).catch(() => null);
          if (r?.status === 200) for (const n of numbers) acked.set(n, round);
          // Killed a quarter of the way, while the other connections' batches are in flight.
          if (r?.status === 200 && ++batches === EVENTS / BATCH / 4) killed.resolve();
        }
      };
      const running = Promise.all([0, 1, 2, 3].map(importer));
      await Promise.race([killed.promise, running]);
      server.child.kill("SIGKILL");
      await server.child.exited;
      stop.now = true;
      await running;
    }
    // Both kills came mid-way: some replacements were acknowledged, not all of the last round's.
    expect(acked.size).toBeGreaterThan(0);
    expect([...acked.values()].filter((round) => round === 2).length).toBeLessThan(EVENTS);

    // A restart recovers (orphan files of the killed commits go), then everything is checked.
    server = await startServer(dir, quiet);
    expect(await stopServer(server)).toBe(0);
    store = await open();
    try {
      const copies = await storedCopies(store);
      expect(copies.size).toBe(EVENTS);
      const doubled = [...copies.values()].filter((c) => c.n !== 1);
      expect(doubled).toEqual([]);
      const wrong = [...acked].filter(([n, round]) => {
        const stored = copies.get(`ev-${n}`)?.message;
        // A later round's unacknowledged copy may have landed over an acknowledged one.
        return stored === undefined || Number(stored.slice(1)) < round;
      });
      expect(wrong).toEqual([]);
      const files = await store.read<{ path: string }>("SELECT path FROM lake_files");
      // The kills came before the imports had replaced every sealed event.
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((f) => !Bun.file(`${dir}/${f.path}`).size)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
