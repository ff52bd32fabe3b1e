import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createLogger } from "../../src/lib/log";
import { eventsSource, type IdKey } from "../../src/store/events-source";
import { Lake, LakeCorruptError } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let other: Tenant;
let lake: Lake;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Lake");
  other = await roost.tenant("LakeOther");
  lake = new Lake(roost.store, roost.dir, createLogger("silent"));
});
afterAll(() => roost.close());

const hoursAgo = (h: number, minute = 0) => {
  const d = new Date(Date.now() - h * 3_600_000);
  d.setUTCMinutes(minute, 7, 123);
  return d.toISOString();
};

async function ingest(tenant: Tenant, events: Record<string, unknown>[]) {
  const r = await roost.call("POST", "/v1/ingest", {
    token: tenant.clientKey,
    body: {
      bundle_id: tenant.app.bundle_id,
      events: events.map((e) => ({
        client_event_id: crypto.randomUUID(),
        session_id: "s",
        level: "info",
        message: "m",
        environment: "ios",
        ...e,
      })),
    },
  });
  expect(r.body.accepted).toBe(events.length);
}

/** Every event of the given projects through hot ∪ lake, in one snapshot, ordered by id. */
async function readAll(projectIds: string[], from?: Date, to?: Date, key?: IdKey) {
  return roost.store.snapshot(async (tx) => {
    const source = await eventsSource(tx, roost.dir, { projectIds, from, to, key });
    const rows = await tx.all<Record<string, unknown>>(
      `SELECT id::VARCHAR AS id, app_id::VARCHAR AS app_id, project_id::VARCHAR AS project_id, client_event_id,
         session_id, user_id, api_key_id::VARCHAR AS api_key_id, level, source_module, message, screen_name,
         custom_attributes::JSON::VARCHAR AS custom_attributes, experiments::JSON::VARCHAR AS experiments, environment,
         os_version, app_version, sdk_name, sdk_version, build_number, device_model, locale, country_code, is_dev,
         strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp, strftime(received_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS received_at
       FROM (${source.sql}) AS e ORDER BY id`,
      source.params,
    );
    return { rows, files: source.files };
  });
}

const parquetFiles = () =>
  (readdirSync(lake.root, { recursive: true }) as string[]).filter((f) => f.endsWith(".parquet")).sort();

describe("seal", () => {
  test("moves hot events into one file per (project, hour) with every field intact", async () => {
    await ingest(t, [
      {
        timestamp: hoursAgo(2, 5),
        user_id: "u1",
        source_module: "Home",
        screen_name: "Home",
        custom_attributes: { color: "blue", size: "L" },
        experiments: { flag: "b" },
        os_version: "17.4",
        app_version: "1.2.0",
        sdk_name: "owl",
        sdk_version: "0.1",
        build_number: "42",
        device_model: "iPhone",
        locale: "en_US",
        is_dev: true,
        level: "error",
      },
      { timestamp: hoursAgo(2, 40) },
      { timestamp: hoursAgo(1, 10), custom_attributes: {} },
    ]);
    await ingest(other, [{ timestamp: hoursAgo(1, 20) }]);
    // A hot row with microseconds, which ingest cannot send, to see they survive.
    await roost.store.run(
      `INSERT INTO events SELECT * REPLACE (uuid() AS id, 'micro' AS client_event_id,
         TIMESTAMPTZ '2024-01-15 10:30:00.123456+00' AS timestamp) FROM events WHERE project_id = ?::UUID LIMIT 1`,
      [t.project.id],
    );
    const projects = [t.project.id, other.project.id];
    const before = await readAll(projects);
    expect(before.rows).toHaveLength(5);
    expect(before.files).toEqual([]);

    const sealed = await lake.seal(new Date(Date.now() + 1000));
    expect(sealed.rows).toBe(5);
    expect(sealed.files).toBe(4);
    expect(await roost.store.read("SELECT * FROM events")).toEqual([]);

    const after = await readAll(projects);
    expect(after.files).toHaveLength(4);
    expect(after.rows).toEqual(before.rows);
    const full = after.rows.find((r) => r.user_id === "u1")!;
    expect(JSON.parse(full.custom_attributes as string)).toEqual({ color: "blue", size: "L" });
    expect(full.is_dev).toBe(true);
    expect(after.rows.find((r) => r.client_event_id === "micro")?.timestamp).toBe(
      "2024-01-15T10:30:00.123456Z",
    );
    expect(parquetFiles()).toHaveLength(4);
    expect(
      parquetFiles().every((f) =>
        /^project_id=[0-9a-f-]{36}\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[0-9a-f-]{36}(_[0-9a-f-]{36})?_s9\.parquet$/.test(
          f,
        ),
      ),
    ).toBe(true);
  });

  test("events received after the cutoff stay hot; nothing to seal is a no-op", async () => {
    await ingest(t, [{ timestamp: hoursAgo(0) }]);
    expect((await lake.seal(new Date(Date.now() - 60_000))).rows).toBe(0);
    expect(await roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 1 }]);
    expect((await lake.seal(new Date(Date.now() + 1000))).files).toBe(1);
  });
});

describe("compact", () => {
  test("a late event for an old hour becomes a new file, and compaction merges it: one file, same rows", async () => {
    const hour = hoursAgo(2, 50);
    await ingest(t, [{ timestamp: hour }, { timestamp: hour }]);
    await lake.seal(new Date(Date.now() + 1000));
    const projects = [t.project.id, other.project.id];
    const before = await readAll(projects);
    const countFiles = async () =>
      (
        await roost.store.read<{ n: number }>(
          "SELECT count(*) AS n FROM lake_files WHERE project_id = ?::UUID",
          [t.project.id],
        )
      )[0]?.n;
    // Sealed so far for this project: hours -2, -1, 0 and the 2024 one, plus the late file for -2.
    expect(await countFiles()).toBe(5);

    // A query that starts before the compaction keeps reading its files.
    const inflight = roost.store.snapshot(async (tx) => {
      const source = await eventsSource(tx, roost.dir, { projectIds: projects });
      await Bun.sleep(50);
      return tx.all(`SELECT count(*) AS n FROM (${source.sql})`, source.params);
    });
    const result = await lake.compact();
    expect(result.filesIn).toBeGreaterThanOrEqual(2);
    expect(await inflight).toEqual([{ n: before.rows.length }]);

    const perPartition = await roost.store.read<{ n: number }>(
      "SELECT count(*) AS n FROM lake_files GROUP BY project_id, hour",
    );
    // Summaries follow the manifest: one set per live file, none for replaced files.
    expect(
      await roost.store.read(
        `SELECT (SELECT count(DISTINCT path) FROM lake_file_counts) AS counted,
                (SELECT count(*) FROM lake_files) AS live,
                (SELECT count(*) FROM lake_file_counts WHERE path NOT IN (SELECT path FROM lake_files)) AS stale,
                (SELECT coalesce(sum(row_count), 0) FROM lake_file_counts) - (SELECT sum(row_count) FROM lake_files) AS diff`,
      ),
    ).toEqual([{ counted: perPartition.length, live: perPartition.length, stale: 0, diff: 0 }]);
    expect(perPartition.every((p) => p.n === 1)).toBe(true);
    const after = await readAll(projects);
    expect(after.rows).toEqual(before.rows);

    // The replaced files wait in lake_retired until no query can be reading them.
    expect(parquetFiles().length).toBeGreaterThan(perPartition.length);
    expect(await lake.purgeRetired(0)).toBe(result.filesIn);
    expect(parquetFiles()).toHaveLength(perPartition.length);
    expect((await lake.compact()).filesIn).toBe(0);
  });

  test("a running hour's partition is merged on every run while small, else once it has 4 files", async () => {
    const mine = other;
    const at = hoursAgo(5, 30);
    const hour = Date.parse(at) - (Date.parse(at) % 3_600_000);
    const running = new Date(hour + 30 * 60_000);
    const files = async () =>
      (
        await roost.store.read<{ n: number }>(
          "SELECT count(*) AS n FROM lake_files WHERE project_id = ?::UUID AND hour = ?",
          [mine.project.id, new Date(hour)],
        )
      )[0]?.n;
    const sealOne = async () => {
      await ingest(mine, [{ timestamp: at }]);
      await lake.seal(new Date(Date.now() + 1000));
    };
    // Small: merged on every run.
    for (let n = 1; n <= 2; n++) {
      await sealOne();
      await lake.compact(running);
      expect(await files()).toBe(1);
    }
    // Big (with a threshold of 0 rows, any size is big): merged once it holds 4 files, or once its
    // hour is over.
    const strict = new Lake(roost.store, roost.dir, createLogger("silent"), { smallPartitionRows: 0 });
    for (let n = 2; n <= 3; n++) {
      await sealOne();
      await strict.compact(running);
      expect(await files()).toBe(n);
    }
    await sealOne();
    expect(await files()).toBe(4);
    await strict.compact(running);
    expect(await files()).toBe(1);
    await sealOne();
    await strict.compact(running);
    expect(await files()).toBe(2);
    await strict.compact(new Date(hour + 3_600_000));
    expect(await files()).toBe(1);
    const rows = await readAll([mine.project.id], new Date(hour), new Date(hour + 3_600_000));
    expect(rows.rows).toHaveLength(6);
    await lake.purgeRetired(0);
  });

  test("a compacted file is sorted by (app_id, timestamp, id) and zstd-compressed", async () => {
    const [file] = await roost.store.read<{ path: string }>(
      "SELECT path FROM lake_files ORDER BY row_count DESC LIMIT 1",
    );
    const meta = await roost.store.read<{ compression: string }>(
      "SELECT DISTINCT compression FROM parquet_metadata(?)",
      [join(roost.dir, file!.path)],
    );
    expect(meta.map((m) => m.compression)).toEqual(["ZSTD"]);
    const rows = await roost.store.read<{ ok: boolean }>(
      `SELECT bool_and(ordered) AS ok FROM (
         SELECT (app_id, timestamp, id) >= lag((app_id, timestamp, id)) OVER () OR lag(id) OVER () IS NULL AS ordered
         FROM read_parquet(?))`,
      [join(roost.dir, file!.path)],
    );
    expect(rows).toEqual([{ ok: true }]);
  });
});

describe("seal, many partitions", () => {
  test("a backfill over many hours is sealed in a few passes; each file is listed with its own rows once", async () => {
    // DuckDB may write a partition in several files when it keeps fewer open than the seal touches.
    await roost.store.write((tx) => tx.run("SET partitioned_write_max_open_files = 1"));
    try {
      // 300 hours, two events each, interleaved: more partitions than one COPY takes (256).
      await ingest(
        other,
        Array.from({ length: 600 }, (_, i) => ({
          timestamp: hoursAgo(30 + (i % 300), i % 50),
          user_id: `b${i}`,
        })),
      );
      const before = await readAll([other.project.id]);
      const sealed = await lake.seal(new Date(Date.now() + 1000));
      expect(sealed.rows).toBe(600);
      expect(sealed.files).toBeGreaterThanOrEqual(300);
      const after = await readAll([other.project.id]);
      expect(after.rows).toEqual(before.rows);
      // The manifest's counts and time ranges (to the millisecond, as ever) are each file's own.
      const mismatched = await roost.store.read<{ path: string }>(
        `SELECT l.path FROM lake_files l JOIN (
           SELECT substr(filename, length(?) + 2) AS path, count(*) AS n, min(timestamp) AS lo, max(timestamp) AS hi
           FROM read_parquet(? || '/lake/events/**/*.parquet', filename = true) GROUP BY filename
         ) f ON f.path = l.path
         WHERE f.n <> l.row_count OR epoch_ms(f.lo) <> epoch_ms(l.min_ts) OR epoch_ms(f.hi) <> epoch_ms(l.max_ts)
            OR l.hour <> date_trunc('hour', f.lo) OR l.hour <> date_trunc('hour', f.hi)`,
        [roost.dir, roost.dir],
      );
      expect(mismatched).toEqual([]);
    } finally {
      await roost.store.write((tx) => tx.run("RESET partitioned_write_max_open_files"));
    }
  });
});

describe("reading the lake", () => {
  test("a glob from a separate DuckDB sees each sealed event exactly once", async () => {
    const outside = await DuckDBInstance.create(":memory:");
    const c = await outside.connect();
    const r = await c.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, count(DISTINCT project_id)::INTEGER AS projects
       FROM read_parquet('${lake.root}/**/*.parquet', hive_partitioning = true)`,
    );
    const [lakeRows] = await roost.store.read<{ n: number }>("SELECT sum(row_count) AS n FROM lake_files");
    expect(r.getRowObjectsJS()).toEqual([{ n: lakeRows!.n, ids: lakeRows!.n, projects: 2 }]);
    c.closeSync();
    outside.closeSync();
  });

  test("a query for one project and one hour is handed only that partition's files", async () => {
    const [partition] = await roost.store.read<{ hour: Date; n: number }>(
      "SELECT hour, count(*) AS n FROM lake_files WHERE project_id = ?::UUID GROUP BY hour ORDER BY hour LIMIT 1",
      [t.project.id],
    );
    const from = partition!.hour;
    const to = new Date(from.getTime() + 3_600_000);
    const { rows, files } = await readAll([t.project.id], from, to);
    expect(files).toHaveLength(partition!.n);
    expect(
      files.every((f) =>
        f.includes(
          `project_id=${t.project.id}/date=${from.toISOString().slice(0, 10)}/hour=${from.toISOString().slice(11, 13)}/`,
        ),
      ),
    ).toBe(true);
    expect(
      rows.every(
        (r) => (r.timestamp as string) >= from.toISOString().slice(0, 19) && r.project_id === t.project.id,
      ),
    ).toBe(true);
    const none = await readAll(
      [t.project.id],
      new Date("2000-01-01T00:00:00Z"),
      new Date("2000-01-01T01:00:00Z"),
    );
    expect(none.files).toEqual([]);
  });

  test("a lookup by user or session id is handed only the files that may hold it", async () => {
    const user = `needle-${crypto.randomUUID()}`;
    const session = `haystack-${crypto.randomUUID()}`;
    await ingest(t, [
      { timestamp: hoursAgo(5, 10), user_id: user },
      { timestamp: hoursAgo(7, 20), user_id: user, session_id: session },
      { timestamp: hoursAgo(7, 21), session_id: session },
    ]);
    await lake.seal(new Date(Date.now() + 1000));
    const all = await readAll([t.project.id]);
    const holding = (column: string, value: string) =>
      [...new Set(all.rows.filter((r) => r[column] === value).map((r) => r.timestamp))].length;
    expect(holding("user_id", user)).toBe(2);

    const byUser = await readAll([t.project.id], undefined, undefined, { kind: "u", values: [user] });
    expect(byUser.files).toHaveLength(2);
    expect(byUser.files.length).toBeLessThan(all.files.length);
    expect(byUser.rows.filter((r) => r.user_id === user)).toHaveLength(2);
    const bySession = await readAll([t.project.id], undefined, undefined, { kind: "s", values: [session] });
    expect(bySession.files).toHaveLength(1);
    expect(bySession.rows.filter((r) => r.session_id === session)).toHaveLength(2);
    const nobody = await readAll([t.project.id], undefined, undefined, { kind: "u", values: ["nobody"] });
    expect(nobody.files).toEqual([]);

    // A file whose summary is missing may hold anything: it is read.
    await roost.store.write(async (tx) => {
      const [file] = await tx.all<{ path: string }>(
        "SELECT path FROM lake_files WHERE project_id = ?::UUID ORDER BY hour LIMIT 1",
        [t.project.id],
      );
      await tx.run("DELETE FROM lake_file_counts WHERE path = ?", [file!.path]);
    });
    const unsummarised = await readAll([t.project.id], undefined, undefined, {
      kind: "u",
      values: ["nobody"],
    });
    expect(unsummarised.files).toHaveLength(1);
  });
});

describe("start-up recovery", () => {
  test("deletes files not in the manifest (an interrupted seal) and refuses a manifest row without its file", async () => {
    const orphanDir = join(lake.root, `project_id=${t.project.id}`, "date=2020-01-01", "hour=00");
    mkdirSync(orphanDir, { recursive: true });
    writeFileSync(join(orphanDir, "leftover.parquet"), "x");
    writeFileSync(join(orphanDir, "leftover.parquet.tmp"), "x");
    const recovered = await lake.recover();
    expect(recovered.orphans).toBe(2);
    expect(readdirSync(orphanDir)).toEqual([]);

    const [file] = await roost.store.read<{ path: string }>("SELECT path FROM lake_files LIMIT 1");
    const full = join(roost.dir, file!.path);
    const saved = await Bun.file(full).arrayBuffer();
    rmSync(full);
    await expect(lake.recover()).rejects.toBeInstanceOf(LakeCorruptError);
    await Bun.write(full, saved);
    expect((await lake.recover()).orphans).toBe(0);
  });
});
