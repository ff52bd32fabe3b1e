import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ingestLoad, type LoadLedger } from "../support/load";
import {
  firstRunKeys,
  killServersAfterAll,
  MAIN,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

/**
 * `roost backup` and `roost restore`, for real: a backup taken through the running server's
 * control socket while it ingests, restored into a new directory and served; backups killed
 * halfway refused; and the drill: back up, kill -9, lose the data directory, restore, start.
 */
const root = tempDir("roost-backup-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const busy = { ROOST_STORAGE_SCHEDULE: "* * * * * *", ROOST_SEAL_GRACE_SECONDS: "0" };

/** `roost <args>` as a user runs it; its exit code and output. */
async function roost(...args: string[]) {
  const child = Bun.spawn([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code: await child.exited, out: out + err };
}

async function allEventIds(server: RunningServer, key: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?limit=200&since=2000-01-01${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await fetch(`${server.base}${q}`, { headers: { authorization: `Bearer ${key}` } });
    const page = (await r.json()) as { events: Array<{ client_event_id: string }>; cursor: string | null };
    for (const e of page.events) ids.add(e.client_event_id);
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

describe("roost backup and restore", () => {
  test("a backup taken during ingest restores into a server that answers the snapshot's events", async () => {
    const dir = join(root, "live");
    const copy = join(root, "live-backup");
    let server = await startServer(dir, busy);
    const { agent, client } = firstRunKeys(server.startup);
    const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
    const stop = { now: false };
    const load = ingestLoad(server, client, ledger, stop, { connections: 4, batch: 50 });
    await Bun.sleep(1500); // sealed files and hot rows both
    const ackedBefore = new Set(ledger.acked);
    const made = await roost("backup", copy, "--data", dir);
    stop.now = true;
    expect(await load).toBe(0);
    expect(made.out).toContain("from the running server");
    expect(made.code).toBe(0);
    const manifest = await Bun.file(join(copy, "backup.json")).json();
    expect(manifest.files.some((f: { path: string }) => f.path.startsWith("lake/events/"))).toBe(true);
    const source = await allEventIds(server, agent);
    expect(await stopServer(server)).toBe(0);

    const restoredDir = join(root, "restored");
    const restored = await roost("restore", copy, "--data", restoredDir);
    expect(restored.code).toBe(0);
    server = await startServer(restoredDir, { ROOST_STORAGE_SCHEDULE: "0 0 1 1 *" });
    try {
      const ids = await allEventIds(server, agent);
      expect(ids.size).toBe(manifest.events);
      // Everything acknowledged before the backup began is in it; nothing it holds is made up.
      expect([...ackedBefore].filter((id) => !ids.has(id))).toEqual([]);
      expect([...ids].filter((id) => !source.has(id))).toEqual([]);
      const count = await fetch(`${server.base}/v1/events/count`, {
        headers: { authorization: `Bearer ${agent}` },
      });
      expect(((await count.json()) as { count: number }).count).toBe(manifest.events);
    } finally {
      await stopServer(server);
    }
    // Restoring over a data directory that has a database is refused.
    const again = await roost("restore", copy, "--data", restoredDir);
    expect(again.code).toBe(2);
    expect(again.out).toContain("already holds a database");
  }, 60_000);

  test("a backup killed halfway is refused by restore; a finished one is not", async () => {
    const dir = join(root, "stopped");
    const server = await startServer(dir, busy);
    const { client } = firstRunKeys(server.startup);
    const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
    const stop = { now: false };
    const load = ingestLoad(server, client, ledger, stop, { connections: 4, batch: 200 });
    await Bun.sleep(2000);
    stop.now = true;
    await load;
    expect(await stopServer(server)).toBe(0);
    let halfway = 0;
    let finished = 0;
    for (const [i, wait] of [5, 20, 40, 80, 160, 320, 5000].entries()) {
      const target = join(root, `killed-${i}`);
      const child = Bun.spawn([process.execPath, MAIN, "backup", target, "--data", dir], {
        stdout: "ignore",
        stderr: "ignore",
      });
      await Promise.race([Bun.sleep(wait), child.exited]);
      child.kill("SIGKILL");
      await child.exited;
      const r = await roost("restore", target, "--data", join(root, `from-killed-${i}`));
      if (existsSync(join(target, "backup.json"))) {
        finished++;
        expect(r.code).toBe(0);
      } else {
        halfway++;
        expect(r.code).toBe(2);
        expect(r.out).toMatch(/has no backup\.json: the backup did not finish|does not exist|no backup/);
        expect(existsSync(join(root, `from-killed-${i}`, "roost.duckdb"))).toBe(false);
      }
    }
    expect(halfway).toBeGreaterThan(0);
    expect(finished).toBeGreaterThan(0);
  }, 60_000);

  test("the drill: back up, kill -9, delete the data directory, restore, start: the same answers", async () => {
    const dir = join(root, "drill");
    const copy = join(root, "drill-backup");
    let server = await startServer(dir, busy);
    const { agent, client } = firstRunKeys(server.startup);
    const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
    const stop = { now: false };
    const load = ingestLoad(server, client, ledger, stop, { connections: 2, batch: 50 });
    await Bun.sleep(1000);
    stop.now = true;
    await load;
    const before = await allEventIds(server, agent);
    const made = await roost("backup", copy, "--data", dir);
    expect(made.code).toBe(0);
    server.child.kill("SIGKILL");
    await server.child.exited;
    rmSync(dir, { recursive: true, force: true });
    expect((await roost("restore", copy, "--data", dir)).code).toBe(0);
    server = await startServer(dir, busy);
    try {
      expect(await allEventIds(server, agent)).toEqual(before);
      expect(before.size).toBe(ledger.acked.size);
    } finally {
      await stopServer(server);
    }
  }, 60_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
