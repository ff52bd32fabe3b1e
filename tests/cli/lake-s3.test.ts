import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ingestLoad, type LoadLedger } from "../support/load";
import { S3_KEY, startS3 } from "../support/s3";
import { firstRunKeys, killServersAfterAll, startServer, stopServer, tempDir } from "../support/server";

/**
 * `roost serve` with ROOST_LAKE_URL, as a user runs it: the storage job uploads and trims the
 * cache on its own, a kill -9 loses nothing acknowledged, a restart with the local lake deleted
 * answers everything from the bucket, and no credential reaches the log.
 */
const root = tempDir("roost-s3-serve-");
let s3: Awaited<ReturnType<typeof startS3>> | null = null;
afterAll(async () => {
  await s3?.stop();
  if (s3) rmSync(s3.directory, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const localParquet = (dir: string) =>
  existsSync(join(dir, "lake"))
    ? (readdirSync(join(dir, "lake"), { recursive: true }) as string[]).filter((f) => f.endsWith(".parquet"))
    : [];

async function allIds(base: string, key: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?limit=200&since=2000-01-01${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await fetch(`${base}${q}`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(200);
    const page = (await r.json()) as { events: Array<{ client_event_id: string }>; cursor: string | null };
    ids.push(...page.events.map((e) => e.client_event_id));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

test("a server with its lake in a bucket uploads, evicts, survives kill -9 and a lost local lake", async () => {
  s3 = await startS3();
  const dir = join(root, "data");
  const env = {
    ROOST_LAKE_URL: `s3://${s3.bucket}/serve`,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: S3_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_KEY.secretAccessKey,
    ROOST_LAKE_CACHE_BYTES: "0",
    ROOST_STORAGE_SCHEDULE: "* * * * * *",
    ROOST_SEAL_GRACE_SECONDS: "0",
    // Files a read fetched back stay for the grace: a read is never left without its files.
    ROOST_RETIRED_GRACE_SECONDS: "3",
  };
  let server = await startServer(dir, env);
  try {
    const { agent, client } = firstRunKeys(server.startup);
    const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
    const stop = { now: false };
    const load = ingestLoad(server, client, ledger, stop, { connections: 2, batch: 50 });
    await Bun.sleep(2500);
    server.child.kill("SIGKILL");
    stop.now = true;
    await load;
    await server.child.exited;
    expect(ledger.acked.size).toBeGreaterThan(0);

    server = await startServer(dir, env);
    // The storage job seals, uploads and then evicts everything (a cache of 0 bytes). Nothing reads
    // meanwhile: a read fetches the files it needs back.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await s3.objects("serve")).size > 0 && localParquet(dir).length === 0) break;
      await Bun.sleep(200);
    }
    expect(localParquet(dir)).toEqual([]);
    expect((await s3.objects("serve")).size).toBeGreaterThan(0);
    const served = await allIds(server.base, agent);
    expect(new Set(served).size).toBe(served.length);
    for (const id of ledger.acked) expect(served).toContain(id);
    expect(await stopServer(server)).toBe(0);
    const logs = [await server.output()];
    expect(logs[0]).toContain(" lake upload ");

    // The whole local lake lost: the bucket holds it.
    rmSync(join(dir, "lake"), { recursive: true, force: true });
    server = await startServer(dir, env);
    const again = await allIds(server.base, agent);
    expect(again.sort()).toEqual([...served].sort());
    expect(await stopServer(server)).toBe(0);
    logs.push(await server.output());
    expect(logs[1]).toContain(" lake files fetched ");
    for (const log of logs) expect(log).not.toContain(S3_KEY.secretAccessKey);
  } finally {
    // A failed expectation must not leave a server running (its storage job runs every second).
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  }
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
