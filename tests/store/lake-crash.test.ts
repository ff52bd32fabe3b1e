import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createLogger } from "../../src/lib/log";
import { Store, StoreLockedError } from "../../src/store/db";
import { eventsSource } from "../../src/store/events-source";
import { Lake } from "../../src/store/lake";
import { ingestLoad, type LoadLedger } from "../support/load";
import { firstRunKeys, killServersAfterAll, startServer, stopServer, tempDir } from "../support/server";

/**
 * `kill -9` at random moments while the storage job seals and compacts every second under
 * ingest load (grace 0, late events spread over five hours, so each seal adds files to old
 * partitions and each compaction merges them). After each restart, hot ∪ lake must hold every
 * acknowledged event exactly once.
 */
const dir = tempDir("roost-lake-crash-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = {
  ROOST_STORAGE_SCHEDULE: "* * * * * *",
  ROOST_SEAL_GRACE_SECONDS: "0",
  ROOST_RETIRED_GRACE_SECONDS: "0",
};
const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
const within5h = () => new Date(Date.now() - Math.floor(Math.random() * 5 * 3_600_000)).toISOString();

/**
 * Opens the store the killed server left. Once (a CI run on 2026-11-28) this open found the lock
 * still held right after the kill was reported; it retries for up to 3 s and says so with the
 * holder DuckDB names, so the cause shows in the log and a lock that stays held still fails.
 */
async function openAfterKill(): Promise<Store> {
  const started = performance.now();
  for (;;) {
    try {
      const store = await Store.open(dir, { threads: 2, memoryLimit: "512MB", readers: 1 });
      return store;
    } catch (error) {
      if (!(error instanceof StoreLockedError) || performance.now() - started > 3000) throw error;
      console.error(`lake crash test: lock still held after the kill, retrying: ${error.message}`);
      await Bun.sleep(100);
    }
  }
}

async function checkStore(projectId: string) {
  const store = await openAfterKill();
  try {
    const { orphans } = await new Lake(store, dir, createLogger("silent")).recover();
    const seen = await store.snapshot(async (tx) => {
      const source = await eventsSource(tx, dir, { projectIds: [projectId] });
      const rows = await tx.all<{ client_event_id: string; n: number }>(
        `SELECT client_event_id, count(*) AS n FROM (${source.sql}) GROUP BY client_event_id`,
        source.params,
      );
      const [files] = await tx.all<{ n: number }>("SELECT count(*) AS n FROM lake_files");
      return { rows, files: files?.n ?? 0 };
    });
    return { ...seen, orphans };
  } finally {
    await store.close();
  }
}

describe("kill -9 during seal and compaction", () => {
  test("after each restart the acknowledged events are there exactly once", async () => {
    let server = await startServer(dir, env);
    const { client, agent } = firstRunKeys(server.startup);
    const me = (await (
      await fetch(`${server.base}/v1/projects`, { headers: { authorization: `Bearer ${agent}` } })
    ).json()) as {
      projects: { id: string }[];
    };
    const projectId = me.projects[0]!.id;
    let sawFiles = 0;
    let killedMidWrite = 0;
    for (let round = 0; round < 8; round++) {
      const stop = { now: false };
      const running = ingestLoad(server, client, ledger, stop, {
        connections: 4,
        batch: 30,
        timestamp: within5h,
      });
      await Bun.sleep(600 + Math.floor(Math.random() * 1400));
      server.child.kill("SIGKILL");
      await server.child.exited;
      stop.now = true;
      await running;

      const { rows, files, orphans } = await checkStore(projectId);
      sawFiles = Math.max(sawFiles, files);
      // An orphan is a file written but not committed: this kill landed inside a seal or compaction.
      if (orphans > 0) killedMidWrite++;
      const stored = new Map(rows.map((r) => [r.client_event_id, r.n]));
      expect([...ledger.acked].filter((id) => !stored.has(id))).toEqual([]);
      expect(rows.filter((r) => r.n > 1)).toEqual([]);
      expect(rows.filter((r) => !ledger.sent.has(r.client_event_id))).toEqual([]);
      server = await startServer(dir, env);
    }
    expect(await stopServer(server)).toBe(0);
    expect(ledger.acked.size).toBeGreaterThan(500);
    expect(sawFiles).toBeGreaterThan(0);
    console.error(
      `lake crash test: ${ledger.acked.size} events acknowledged; ${killedMidWrite} of 8 kills landed mid-write`,
    );
  }, 120_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
