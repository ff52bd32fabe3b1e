import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, StoreLockedError } from "../../src/store/db";
import { migrate, NewerSchemaError } from "../../src/store/migrations";
import { schema } from "../../src/store/schema";

const options = { threads: 2, memoryLimit: "512MB", readers: 2 };
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "roost-store-"));
  store = await Store.open(dir, options);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("migrations", () => {
  test("apply once, are recorded, and a second run applies none", async () => {
    expect(await migrate(store)).toEqual(schema.map((m) => m.version));
    expect(await migrate(store)).toEqual([]);
    const rows = await store.read<{ version: number; name: string }>(
      "SELECT version, name FROM schema_migrations ORDER BY version",
    );
    expect(rows.map((r) => [r.version, r.name])).toEqual(schema.map((m) => [m.version, m.name]));
  });

  test("a failing migration leaves nothing behind and is not recorded", async () => {
    const broken = [
      {
        version: 9001,
        name: "broken",
        sql: "CREATE TABLE half_made (x INTEGER);\nSELECT * FROM no_such_table;",
      },
    ];
    await expect(migrate(store, broken)).rejects.toThrow(/no_such_table/);
    const tables = await store.read("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_made'");
    expect(tables).toEqual([]);
    expect(await store.read("SELECT 1 FROM schema_migrations WHERE version = 9001")).toEqual([]);
  });

  test("an older build refuses a data directory a newer one has migrated", async () => {
    const older = schema.slice(0, -1);
    const newest = schema.at(-1)?.version;
    await expect(migrate(store, older)).rejects.toThrow(
      new NewerSchemaError(
        `This data directory was migrated by a newer Roost (schema version ${newest}); this one knows up to ${older.at(-1)?.version}. ` +
          "Run the newer version, or restore the copy of the data directory made before upgrading.",
      ),
    );
  });
});

describe("transactions", () => {
  test("a write that throws rolls back everything it did", async () => {
    await store.run("CREATE TABLE t_rollback (x INTEGER)");
    await expect(
      store.write(async (tx) => {
        await tx.run("INSERT INTO t_rollback VALUES (1)");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(await store.read("SELECT * FROM t_rollback")).toEqual([]);
    // The writer is usable again afterwards.
    await store.run("INSERT INTO t_rollback VALUES (2)");
    expect(await store.read("SELECT x FROM t_rollback")).toEqual([{ x: 2 }]);
  });

  test("concurrent writes run one at a time, each seeing the one before", async () => {
    await store.run("CREATE TABLE t_counter (n INTEGER)");
    await store.run("INSERT INTO t_counter VALUES (0)");
    await Promise.all(
      Array.from({ length: 25 }, () =>
        store.write(async (tx) => {
          const [row] = await tx.all<{ n: number }>("SELECT n FROM t_counter");
          await tx.run("UPDATE t_counter SET n = ?", [(row?.n ?? 0) + 1]);
        }),
      ),
    );
    expect(await store.read("SELECT n FROM t_counter")).toEqual([{ n: 25 }]);
  });

  test("readers do not see a write until it commits", async () => {
    await store.run("CREATE TABLE t_iso (x INTEGER)");
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const writing = store.write(async (tx) => {
      await tx.run("INSERT INTO t_iso VALUES (1)");
      await held;
    });
    await Bun.sleep(20);
    expect(await store.read("SELECT count(*) AS n FROM t_iso")).toEqual([{ n: 0 }]);
    release();
    await writing;
    expect(await store.read("SELECT count(*) AS n FROM t_iso")).toEqual([{ n: 1 }]);
  });

  test("more reads than readers wait their turn and all complete", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.read<{ v: number }>("SELECT ?::INTEGER AS v", [i])),
    );
    expect(results.map((r) => r[0]?.v)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("checkpoint folds the WAL into the database file", async () => {
    await store.run("CREATE TABLE t_wal AS SELECT range AS x, repeat('x', 100) AS pad FROM range(20000)");
    const wal = join(dir, "roost.duckdb.wal");
    const walSize = () => (existsSync(wal) ? statSync(wal).size : 0);
    expect(walSize()).toBeGreaterThan(100_000);
    await store.checkpoint();
    expect(walSize()).toBeLessThan(10_000);
    expect(await store.read("SELECT count(*) AS n FROM t_wal")).toEqual([{ n: 20000 }]);
  });

  test("parameters bind dates, lists and nulls", async () => {
    const [row] = await store.read<{ t: Date; l: string[]; n: null }>(
      "SELECT ?::TIMESTAMPTZ AS t, ?::JSON::VARCHAR[] AS l, ? AS n",
      [new Date("2024-01-15T10:30:00.123Z"), ["a", "b"], null],
    );
    expect(row?.t.toISOString()).toBe("2024-01-15T10:30:00.123Z");
    expect(row?.l).toEqual(["a", "b"]);
    expect(row?.n).toBeNull();
  });
});

describe("one process per data directory", () => {
  test("a second open of the same directory is refused with a clear error", async () => {
    const child = Bun.spawn(
      [
        process.execPath,
        "-e",
        `import { Store } from "${join(import.meta.dir, "../../src/store/db.ts")}"; try { await Store.open(${JSON.stringify(dir)}, ${JSON.stringify(options)}); console.log("opened"); } catch (e) { console.log(e.constructor.name + ": " + e.message); }`,
      ],
      { stdout: "pipe" },
    );
    const out = await new Response(child.stdout).text();
    expect(out).toContain(StoreLockedError.name);
    expect(out).toContain("is in use by another process");
  });
});

describe("kept prepared statements", () => {
  test("a repeated read sees new parameter types, new rows and a changed table", async () => {
    await store.run("CREATE TABLE kept (a VARCHAR, b INTEGER)");
    await store.run("INSERT INTO kept VALUES ('x', 1), (NULL, 2)");
    const some = "SELECT count(*) AS n FROM kept WHERE (?::VARCHAR IS NULL OR a = ?::VARCHAR)";
    expect(await store.read(some, [null, null])).toEqual([{ n: 2 }]);
    expect(await store.read(some, ["x", "x"])).toEqual([{ n: 1 }]);
    const echo = "SELECT ? AS v";
    for (const v of [1, "s", true, null, 2.5]) expect(await store.read(echo, [v])).toEqual([{ v }]);
    const row = "SELECT * FROM kept WHERE b = ?::INTEGER";
    expect(await store.read(row, [1])).toEqual([{ a: "x", b: 1 }]);
    const count = "SELECT count(*) AS n FROM kept WHERE b = ?::INTEGER";
    expect(await store.read(count, [1])).toEqual([{ n: 1 }]);
    await store.run("INSERT INTO kept VALUES ('y', 1)");
    expect(await store.read(count, [1])).toEqual([{ n: 2 }]);
    // Rows another connection writes after the statement was kept, long strings intact.
    const paths = "SELECT a FROM kept WHERE b = ?::INTEGER ORDER BY a";
    expect(await store.read(paths, [3])).toEqual([]);
    const long = Array.from(
      { length: 5 },
      (_, i) => `lake/events/project_id=${i}/${crypto.randomUUID()}.parquet`,
    );
    for (const a of long) await store.run("INSERT INTO kept VALUES (?, 3)", [a]);
    expect(await store.read(paths, [3])).toEqual(long.sort().map((a) => ({ a })));
    await store.run("DROP TABLE kept");
    await store.run("CREATE TABLE kept (z INTEGER, b INTEGER)");
    await store.run("INSERT INTO kept VALUES (9, 1)");
    expect(await store.read(row, [1])).toEqual([{ z: 9, b: 1 }]);
  });
});
