import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { MAIN, tempDir } from "../support/server";

/**
 * `roost export` on a cluster (decision 017): what ClickHouse stores in a range comes out as the
 * embedded lake's hive-partitioned Parquet, and the analysts' query from the README reads it.
 */
let roost: Roost;
let t: Tenant;
const out = tempDir("roost-export-");

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Export");
});
afterAll(async () => {
  await roost.close();
  rmSync(out, { recursive: true, force: true });
});

test("the events of a range, as the lake's Parquet layout, each once, read by the analysts' query", async () => {
  const hour = 3_600_000;
  const base = Date.now() - 26 * hour;
  const events = Array.from({ length: 90 }, (_, i) => ({
    client_event_id: crypto.randomUUID(),
    session_id: `s${i % 4}`,
    level: i % 3 === 0 ? "error" : "info",
    message: `m${i}`,
    environment: "ios",
    custom_attributes: i === 0 ? { plan: "pro" } : undefined,
    timestamp: new Date(base + (i % 3) * hour + i * 1000).toISOString(),
  }));
  const sent = await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: { bundle_id: t.app.bundle_id, events },
  });
  expect(sent.body.accepted).toBe(90);

  const child = Bun.spawn(
    [
      process.execPath,
      MAIN,
      "export",
      "--since",
      new Date(base - hour).toISOString(),
      "--until",
      new Date(base + 4 * hour).toISOString(),
      "--out",
      out,
    ],
    {
      env: { ...process.env, ROOST_STORE: "clickhouse", ROOST_LOG_LEVEL: "info" },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const text = (await new Response(child.stdout).text()) + (await new Response(child.stderr).text());
  expect(await child.exited).toBe(0);
  expect(text).toMatch(/Exported \d+ events to .*\/events in \d+ ms\./);

  const projectDir = join(out, "events", `project_id=${t.project.id}`);
  const files = (readdirSync(projectDir, { recursive: true }) as string[]).filter((f) =>
    f.endsWith(".parquet"),
  );
  expect(files.length).toBeGreaterThanOrEqual(3);
  for (const f of files) expect(f).toMatch(/^date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[0-9a-f-]+_s9\.parquet$/);

  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  const glob = `${join(out, "events")}/**/*.parquet`.replaceAll("'", "''");
  const rows = (
    await db.runAndReadAll(
      `SELECT client_event_id, level, custom_attributes['plan'] AS plan, hour
       FROM read_parquet('${glob}', hive_partitioning = true) WHERE project_id = '${t.project.id}'`,
    )
  ).getRowObjectsJS() as Array<{ client_event_id: string; level: string; plan: string | null; hour: bigint }>;
  expect(rows.map((r) => r.client_event_id).sort()).toEqual(events.map((e) => e.client_event_id).sort());
  expect(rows.find((r) => r.client_event_id === events[0]?.client_event_id)?.plan).toBe("pro");
  const levels = (
    await db.runAndReadAll(
      `SELECT level, count(*)::INTEGER AS n FROM read_parquet('${glob}', hive_partitioning = true)
       WHERE project_id = '${t.project.id}' GROUP BY ALL ORDER BY level`,
    )
  ).getRowObjectsJS();
  expect(levels).toEqual([
    { level: "error", n: 30 },
    { level: "info", n: 60 },
  ]);
  db.closeSync();
  instance.closeSync();
});
