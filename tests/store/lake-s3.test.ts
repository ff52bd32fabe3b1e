import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/lib/log";
import { backup, restore } from "../../src/store/backup";
import { Store } from "../../src/store/db";
import { Lake, LakeCorruptError, ObjectStore } from "../../src/store/lake";
import { type Roost, requester, startRoost, type Tenant } from "../helpers";
import { startS3 } from "../support/s3";
import { tempDir } from "../support/server";

/**
 * The lake in S3-compatible object storage (decision 016), against s3rver: files uploaded, the
 * local cache trimmed to nothing, and every reader of lake files answering the same from files
 * fetched back; compaction and an import over evicted files; retired files deleted from the
 * bucket; a start with no local lake at all; the bucket down (503, uploads retried); backups.
 */
const PREFIX = "tests/lake";
let s3: Awaited<ReturnType<typeof startS3>>;
let roost: Roost;
let t: Tenant;
let lake: Lake;
const silent = createLogger("silent");

beforeAll(async () => {
  s3 = await startS3();
  roost = await startRoost();
  t = await roost.tenant("Bucket");
  lake = openS3Lake();
});
afterAll(async () => {
  await roost.close();
  await s3.stop();
  rmSync(s3.directory, { recursive: true, force: true });
});

const openS3Lake = (store = roost.store, dir = roost.dir) =>
  new Lake(store, dir, silent, { objectStore: new ObjectStore(s3.config(PREFIX)), cacheBytes: 0 });

const hoursAgo = (h: number, minute: number) => {
  const d = new Date(Date.now() - h * 3_600_000);
  d.setUTCMinutes(minute, 7, 123);
  return d.toISOString();
};

const sent: Array<{ client_event_id: string; user_id: string; timestamp: string }> = [];

async function ingest(count: number, hours: number) {
  const events = Array.from({ length: count }, (_, i) => ({
    client_event_id: crypto.randomUUID(),
    session_id: `s${i % 7}`,
    user_id: `user-${i % 5}`,
    level: i % 9 === 0 ? "error" : "info",
    message: `event ${i}`,
    environment: "ios",
    timestamp: hoursAgo(2 + (i % hours), i % 60),
  }));
  const r = await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: { bundle_id: t.app.bundle_id, events },
  });
  expect(r.body.accepted).toBe(count);
  sent.push(...events);
}

/** What the events API answers: every page, the count, one event by id, one user's events. */
async function answers() {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?limit=50&since=2000-01-01${cursor ? `&cursor=${cursor}` : ""}`;
    const page = await roost.call("GET", q, { token: t.adminKey });
    expect(page.status).toBe(200);
    ids.push(...page.body.events.map((e: { id: string }) => e.id));
    cursor = page.body.cursor;
  } while (cursor);
  const count = (await roost.call("GET", "/v1/events/count?since=2000-01-01", { token: t.adminKey })).body
    .count;
  const one = (await roost.call("GET", `/v1/events/${ids[ids.length - 1]}`, { token: t.adminKey })).body;
  const user = (
    await roost.call("GET", "/v1/events?since=2000-01-01&user_id=user-3&limit=200", { token: t.adminKey })
  ).body.events.length;
  return { ids, count, one, user };
}

const localParquet = () =>
  existsSync(join(roost.dir, "lake"))
    ? (readdirSync(join(roost.dir, "lake"), { recursive: true }) as string[]).filter((f) =>
        f.endsWith(".parquet"),
      )
    : [];

const manifest = () =>
  roost.store.read<{ path: string; bytes: number }>(
    "SELECT path, bytes FROM lake_files UNION ALL SELECT path, bytes FROM lake_outcome_files ORDER BY path",
  );

const keyOf = (path: string) => `${PREFIX}/${path.replace(/^lake\//, "")}`;

describe("the lake in object storage", () => {
  let before: Awaited<ReturnType<typeof answers>>;

  test("sealed and rolled-up files are uploaded under the lake's layout, byte for byte", async () => {
    await ingest(240, 4);
    await lake.seal(new Date(Date.now() + 1000));
    await lake.rollupOutcomes(new Date(Date.now() + 3_600_000));
    before = await answers();
    expect(before.count).toBe(240);
    const up = await lake.upload();
    const files = await manifest();
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(up).toMatchObject({ files: files.length, failed: 0 });
    const objects = await s3.objects(PREFIX);
    for (const f of files) expect(objects.get(keyOf(f.path))).toBe(f.bytes);
    expect(
      [...objects.keys()].some((k) => k.startsWith(`${PREFIX}/events/project_id=${t.project.id}/date=`)),
    ).toBe(true);
    expect([...objects.keys()].some((k) => k.startsWith(`${PREFIX}/outcomes/date=`))).toBe(true);
    // A second run finds nothing left to upload.
    expect((await lake.upload()).files).toBe(0);
  });

  test("the cache keeps files used within the grace, then evicts down to its budget", async () => {
    expect((await lake.evict(3_600_000)).files).toBe(0);
    const evicted = await lake.evict(0);
    expect(evicted.files).toBe((await manifest()).length);
    expect(evicted.cachedBytes).toBe(0);
    expect(localParquet()).toEqual([]);
  });

  test("every read answers the same from files fetched back from the bucket", async () => {
    expect(await answers()).toEqual(before);
    expect(localParquet().length).toBeGreaterThan(0);
  });

  test("compaction and an import rewrite evicted files; the replaced files leave the bucket", async () => {
    await lake.evict(0);
    await ingest(60, 4);
    await lake.seal(new Date(Date.now() + 1000));
    const compacted = await lake.compact(new Date(Date.now() + 3_600_000));
    expect(compacted.filesIn).toBeGreaterThan(0);
    await lake.upload();
    await lake.evict(0);
    // An import replaces a sealed, evicted copy in place (lake/replace.ts reads and rewrites its file).
    const importKey = (
      await roost.call("POST", "/v1/keys", {
        token: t.token,
        body: { kind: "import", name: "fix", app_id: t.app.id },
      })
    ).body.secret;
    const target = sent[3] as (typeof sent)[number];
    const r = await roost.call("POST", "/v1/import", {
      token: importKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [{ ...target, session_id: "s", level: "info", message: "corrected", environment: "ios" }],
      },
    });
    expect(r.body).toMatchObject({ accepted: 0, updated: 1 });
    await lake.upload();
    const purged = await lake.purgeRetired(0);
    expect(purged).toBeGreaterThan(0);
    const objects = await s3.objects(PREFIX);
    const live = await manifest();
    expect([...objects.keys()].sort()).toEqual(live.map((f) => keyOf(f.path)).sort());
    await lake.evict(0);
    const now = await answers();
    expect(now.count).toBe(300);
    const fixed = await roost.call("GET", `/v1/events?since=2000-01-01&limit=200&session_id=s`, {
      token: t.adminKey,
    });
    expect(fixed.body.events.map((e: { message: string }) => e.message)).toEqual(["corrected"]);
  });

  test("a start with no local lake at all serves everything from the bucket; without the bucket it refuses", async () => {
    const want = await answers();
    await roost.services.grouper.stop();
    await roost.services.notifications.stop();
    await roost.store.close();
    rmSync(join(roost.dir, "lake"), { recursive: true, force: true });
    const store = await Store.open(roost.dir, roost.config.duckdb);
    roost.store = store;
    const err = await new Lake(store, roost.dir, silent).recover().catch((e) => e);
    expect(err).toBeInstanceOf(LakeCorruptError);
    expect(err.message).toContain(
      "are in object storage: start with the ROOST_LAKE_URL they were uploaded to",
    );
    lake = openS3Lake(store);
    await lake.recover();
    const { createApp } = await import("../../src/app");
    const { app, services } = await createApp(roost.config, { store, log: silent });
    roost.app = app;
    roost.services = services;
    roost.call = requester(app);
    expect(await answers()).toEqual(want);
  });

  test("with the bucket down reads of evicted files are a 503 that says so, and uploads wait for it", async () => {
    await lake.evict(0);
    await s3.stop();
    const r = await roost.call("GET", "/v1/events?since=2000-01-01&limit=10", { token: t.adminKey });
    expect(r.status).toBe(503);
    expect(r.body.error).toBe(
      "Stored events are in object storage (s3://roost-lake/tests/lake) and could not be fetched (ConnectionRefused). Try again once the bucket answers.",
    );
    await ingest(10, 1);
    await lake.seal(new Date(Date.now() + 1000));
    const failed = await lake.upload();
    expect(failed.files).toBe(0);
    expect(failed.failed).toBeGreaterThan(0);
    // Nothing that is not in the bucket leaves the disk.
    await lake.evict(0);
    const notUploaded = await roost.store.read<{ path: string }>(
      "SELECT path FROM lake_files WHERE path NOT IN (SELECT path FROM lake_uploaded)",
    );
    expect(notUploaded.length).toBeGreaterThan(0);
    for (const f of notUploaded) expect(existsSync(join(roost.dir, f.path))).toBe(true);
    await s3.start();
    expect((await lake.upload()).files).toBe(notUploaded.length);
    expect((await answers()).count).toBe(310);
  });

  test("a backup holds the evicted files too, and its restored lake uploads again", async () => {
    await lake.evict(0);
    const target = tempDir("roost-s3-backup-");
    rmSync(target, { recursive: true });
    const made = await backup(roost.store, roost.dir, target, "test");
    const live = await manifest();
    for (const f of live) expect(made.files).toContainEqual({ path: f.path, bytes: f.bytes });
    const restoredDir = tempDir("roost-s3-restored-");
    restore(target, restoredDir);
    const instance = await DuckDBInstance.create(join(restoredDir, "roost.duckdb"));
    const connection = await instance.connect();
    const uploaded = await connection.runAndReadAll("SELECT count(*)::INTEGER FROM lake_uploaded");
    expect(uploaded.getRows()[0]?.[0]).toBe(0);
    connection.closeSync();
    instance.closeSync();
    rmSync(target, { recursive: true, force: true });
    rmSync(restoredDir, { recursive: true, force: true });
  });
});

describe("ROOST_LAKE_URL", () => {
  test("is read with the usual AWS variables", () => {
    const config = loadConfig(
      {},
      {
        ROOST_LAKE_URL: "s3://my-bucket/roost/lake/",
        AWS_ENDPOINT_URL: "http://127.0.0.1:9000/",
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "id",
        AWS_SECRET_ACCESS_KEY: "secret",
        ROOST_LAKE_CACHE_BYTES: "1048576",
      },
    );
    expect(config.lake).toEqual({
      remote: {
        bucket: "my-bucket",
        prefix: "roost/lake",
        endpoint: "http://127.0.0.1:9000",
        region: "eu-west-1",
        accessKeyId: "id",
        secretAccessKey: "secret",
        sessionToken: undefined,
      },
      cacheBytes: 1048576,
    });
    expect(loadConfig({}, {}).lake).toEqual({ remote: null, cacheBytes: 10 * 1024 ** 3 });
  });

  test("a malformed one is refused with what it must look like", () => {
    expect(() => loadConfig({}, { ROOST_LAKE_URL: "https://bucket/x" })).toThrow(
      "ROOST_LAKE_URL must look like s3://bucket or s3://bucket/prefix (a bucket name in lower case), got 'https://bucket/x'",
    );
    expect(() => loadConfig({}, { ROOST_LAKE_URL: "s3://bucket/x", AWS_ENDPOINT_URL: "minio:9000" })).toThrow(
      "AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:9000, got 'minio:9000'",
    );
    expect(() => loadConfig({}, { ROOST_LAKE_CACHE_BYTES: "lots" })).toThrow(
      "ROOST_LAKE_CACHE_BYTES must be a whole number",
    );
  });
});
