import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { startRoost } from "../helpers";
import { statsFixture } from "./stats.support";

/**
 * The stats API over the embedded store's outcome rollups (minute rows into hourly Parquet) and
 * its per-process rate limit. On a cluster the outcomes are one SummingMergeTree table, and the
 * shared rate limit is tested across nodes (tests/cluster/cross-node.cluster.ts).
 */
const { f, RANGE, stats } = statsFixture();

describe("rate limit", () => {
  test("20 requests a f.second per caller, then 429 with Retry-After", async () => {
    const limited = await startRoost();
    try {
      const u = await limited.tenant("Throttled");
      // 40 at once: the bucket holds 20, and refills far slower than they arrive.
      const replies = await Promise.all(
        Array.from({ length: 40 }, () =>
          limited.call(
            "GET",
            `/api/0/organizations/${u.team.slug}/stats_v2/?field=sum(quantity)&category=error&statsPeriod=1d`,
            { token: u.adminKey },
          ),
        ),
      );
      const ok = replies.filter((r) => r.status === 200).length;
      const throttled = replies.filter((r) => r.status === 429);
      expect(ok).toBeGreaterThanOrEqual(20);
      expect(ok).toBeLessThan(25);
      expect(throttled.length).toBe(40 - ok);
      expect(throttled[0]?.headers.get("retry-after")).toMatch(/^\d+$/);
      expect((throttled[0]!.body as { detail?: unknown }).detail).toBeString();
    } finally {
      await limited.close();
    }
  });
});

describe("rollup", () => {
  test("results are identical before and after the rollup runs", async () => {
    // Minute rows are kept 30 days, so sub-hour answers are compared on recent data.
    const hour = 3_600_000;
    const thisHour = Date.now() - (Date.now() % hour);
    const recent = [5, 65, 130, 190].map((minutesBack, i) => ({
      timestamp: new Date(thisHour - minutesBack * 60_000).toISOString(),
      project_id: f.t.project.id,
      outcome: "accepted",
      category: i % 2 ? "error" : "session",
      quantity: 10 + i,
      times_seen: 1,
    }));
    expect(
      (await f.roost.call("POST", "/v1/outcomes", { token: f.t.adminKey, body: { outcomes: recent } }))
        .status,
    ).toBe(200);
    const recentRange = `start=${new Date(thisHour - 4 * hour).toISOString()}&end=${new Date(thisHour + hour).toISOString()}`;
    const queries = [
      `field=sum(quantity)&field=sum(times_seen)&groupBy=outcome&groupBy=category&interval=1h&${RANGE}`,
      `field=sum(quantity)&groupBy=project&category=transaction&${RANGE}`,
      `field=sum(quantity)&field=sum(times_seen)&groupBy=category&interval=1h&${recentRange}`,
      `field=sum(quantity)&groupBy=category&interval=15m&${recentRange}`,
    ];
    const before = await Promise.all(queries.map((q) => stats(q)));
    await new Lake(f.roost.store, f.roost.dir, createLogger("silent")).rollupOutcomes(new Date());
    const [files] = await f.roost.store.read<{ n: number }>("SELECT count(*) AS n FROM lake_outcome_files");
    expect(files?.n).toBeGreaterThan(0);
    const after = await Promise.all(queries.map((q) => stats(q)));
    expect(after.map((r) => r.body)).toEqual(before.map((r) => r.body));

    // Rollup files from before the hourly table existed are loaded into it once, at start.
    const [table] = await f.roost.store.read<{ n: number }>("SELECT count(*) AS n FROM outcomes_hourly");
    expect(table?.n).toBeGreaterThan(0);
    await f.roost.store.write(async (tx) => {
      await tx.run("DELETE FROM outcomes_hourly");
      await tx.run("DELETE FROM outcome_files_loaded");
    });
    expect((await stats(queries[0] as string)).body).not.toEqual(before[0]?.body);
    await new Lake(f.roost.store, f.roost.dir, createLogger("silent")).recover();
    expect(await f.roost.store.read("SELECT count(*) AS n FROM outcomes_hourly")).toEqual([{ n: table?.n }]);
    const reloaded = await Promise.all(queries.map((q) => stats(q)));
    expect(reloaded.map((r) => r.body)).toEqual(before.map((r) => r.body));
  });
});
