import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let lake: Lake;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Retain");
  lake = new Lake(roost.store, roost.dir, createLogger("silent"));
});
afterAll(() => roost.close());

const HOUR = 3_600_000;
const hourStart = (ms: number) => ms - (ms % HOUR);

/** Totals per (hour, outcome, category) from the hourly files plus the minute rows not yet rolled. */
async function hourlyTotals(projectId: string) {
  const files = (await roost.store.read<{ path: string }>("SELECT path FROM lake_outcome_files")).map((r) =>
    join(roost.dir, r.path),
  );
  const rolled = files.length
    ? `SELECT project_id, hour, outcome, category, quantity, times_seen FROM read_parquet(?::VARCHAR[]) UNION ALL `
    : "";
  return roost.store.read<{
    hour: Date;
    outcome: string;
    category: string;
    quantity: number;
    times_seen: number;
  }>(
    `SELECT hour, outcome, category, sum(quantity)::BIGINT AS quantity, sum(times_seen)::BIGINT AS times_seen FROM (
       ${rolled}
       SELECT project_id, date_trunc('hour', minute) AS hour, outcome, category, quantity, times_seen FROM outcomes_minute
     ) WHERE project_id = ?::UUID GROUP BY ALL ORDER BY ALL`,
    files.length ? [files, projectId] : [projectId],
  );
}

describe("outcome rollup", () => {
  test("complete hours become hourly rows in Parquet; the current hour stays in minutes; reruns change nothing", async () => {
    const now = Date.now();
    const at = (hoursBack: number, minute: number) =>
      new Date(hourStart(now) - hoursBack * HOUR + minute * 60_000).toISOString();
    const row = (timestamp: string, quantity: number, category = "error") => ({
      timestamp,
      project_id: t.project.id,
      outcome: "accepted",
      category,
      quantity,
      times_seen: 1,
    });
    const r = await roost.call("POST", "/v1/outcomes", {
      token: t.adminKey,
      body: {
        outcomes: [
          row(at(2, 5), 3),
          row(at(2, 35), 4),
          row(at(1, 10), 5),
          row(at(1, 10), 7, "attachment"),
          row(at(0, 0), 11),
        ],
      },
    });
    expect(r.status).toBe(200);
    const before = await hourlyTotals(t.project.id);

    const first = await lake.rollupOutcomes(new Date(now));
    expect(first.rows).toBe(3);
    expect(await hourlyTotals(t.project.id)).toEqual(before);
    expect(before.map((b) => [b.hour.getTime(), b.category, b.quantity, b.times_seen])).toEqual([
      [hourStart(now) - 2 * HOUR, "error", 7, 2],
      [hourStart(now) - HOUR, "attachment", 7, 1],
      [hourStart(now) - HOUR, "error", 5, 1],
      [hourStart(now), "error", 11, 1],
    ]);
    expect(
      await roost.store.read("SELECT quantity FROM outcomes_minute WHERE project_id = ?::UUID", [
        t.project.id,
      ]),
    ).toEqual([{ quantity: 11 }]);
    const rolled = await roost.store.read<{ n: number }>("SELECT count(*) AS n FROM outcomes_minute_rolled");
    expect(rolled[0]?.n).toBe(4);

    const again = await lake.rollupOutcomes(new Date(now));
    expect(again.files).toBe(0);
    expect(await hourlyTotals(t.project.id)).toEqual(before);

    // A restart's recovery keeps the rollup files: they are in the outcome manifest.
    expect((await lake.recover()).orphans).toBe(0);
    expect(await hourlyTotals(t.project.id)).toEqual(before);

    // A late row for an hour already rolled: a new file, counted once.
    await roost.call("POST", "/v1/outcomes", {
      token: t.adminKey,
      body: { outcomes: [row(at(2, 50), 100)] },
    });
    await lake.rollupOutcomes(new Date(now));
    const after = await hourlyTotals(t.project.id);
    expect(after.find((a) => a.hour.getTime() === hourStart(now) - 2 * HOUR)?.quantity).toBe(107);
    expect(
      (await roost.store.read<{ n: number }>("SELECT count(*) AS n FROM lake_outcome_files"))[0]?.n,
    ).toBeGreaterThanOrEqual(2);
  });
});

describe("retention", () => {
  test("partitions past a project's retention_days are dropped; younger ones stay", async () => {
    const p = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "short", retention_days: 2 },
    });
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: p.body.id, name: "srv", platform: "backend" },
    });
    const imp = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "import", name: "i", app_id: app.body.id },
    });
    const ev = (daysBack: number) => ({
      client_event_id: crypto.randomUUID(),
      session_id: "s",
      level: "info",
      message: "m",
      environment: "backend",
      timestamp: new Date(Date.now() - daysBack * 86_400_000).toISOString(),
    });
    await roost.call("POST", "/v1/import", {
      token: imp.body.secret,
      body: { events: [ev(5), ev(3), ev(1), ev(0)] },
    });
    await lake.seal(new Date(Date.now() + 1000));
    const filesOf = async () =>
      (
        await roost.store.read<{ n: number }>(
          "SELECT count(*) AS n FROM lake_files WHERE project_id = ?::UUID",
          [p.body.id],
        )
      )[0]?.n;
    expect(await filesOf()).toBe(4);
    const result = await lake.retain(new Date());
    expect(result.files).toBe(2);
    expect(await filesOf()).toBe(2);
    const left = await roost.store.read<{ n: number }>(
      "SELECT sum(row_count) AS n FROM lake_files WHERE project_id = ?::UUID",
      [p.body.id],
    );
    expect(left[0]?.n).toBe(2);
    expect(await lake.purgeRetired(0)).toBeGreaterThanOrEqual(2);
  });

  test("a deleted project's files and hot rows go at once", async () => {
    const p = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "doomed" },
    });
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: p.body.id, name: "srv", platform: "backend" },
    });
    const send = (id: string) =>
      roost.call("POST", "/v1/ingest", {
        token: app.body.client_key.secret,
        body: {
          events: [
            { client_event_id: id, session_id: "s", level: "info", message: "m", environment: "backend" },
          ],
        },
      });
    await send("sealed");
    await lake.seal(new Date(Date.now() + 1000));
    await send("hot");
    await roost.call("DELETE", `/v1/projects/${p.body.id}`, { token: t.token });
    const result = await lake.retain(new Date());
    expect(result).toEqual({ files: 1, hotRows: 1 });
    expect(await roost.store.read("SELECT 1 FROM events WHERE project_id = ?::UUID", [p.body.id])).toEqual(
      [],
    );
    expect(
      await roost.store.read("SELECT 1 FROM lake_files WHERE project_id = ?::UUID", [p.body.id]),
    ).toEqual([]);
    for (const table of ["lake_file_counts", "lake_file_keys"]) {
      expect(
        await roost.store.read(`SELECT 1 FROM ${table} WHERE path NOT IN (SELECT path FROM lake_files)`),
      ).toEqual([]);
    }
  });
});
