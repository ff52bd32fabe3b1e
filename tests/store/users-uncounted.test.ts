import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * A data directory from before the seal counted users (migration 12 lists its files): the
 * storage job counts them a batch a run, and compaction waits for them.
 */
let roost: Roost;
let t: Tenant;
let lake: Lake;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Upgrade");
  lake = new Lake(roost.store, roost.dir, createLogger("silent"));
});
afterAll(() => roost.close());

const users = async () =>
  (await roost.call("GET", "/v1/app-users?data_mode=all&limit=200", { token: t.adminKey })).body.users.map(
    (u: { user_id: string; event_count: number; first_seen_at: string; last_seen_at: string }) => [
      u.user_id,
      u.event_count,
      u.first_seen_at,
      u.last_seen_at,
    ],
  );

describe("users of files sealed before users were counted", () => {
  test("are counted a batch a run, the same as if the seal had counted them; compaction waits", async () => {
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 40 }, (_, i) => ({
        client_event_id: `b${batch}-${i}`,
        session_id: "s",
        user_id: `user-${i % 7}`,
        level: "info",
        message: "m",
        environment: "ios",
        timestamp: new Date(Date.now() - (batch * 40 + i) * 60_000).toISOString(),
      }));
      await roost.call("POST", "/v1/ingest", {
        token: t.clientKey,
        body: { bundle_id: t.app.bundle_id, events },
      });
      await lake.seal(new Date(Date.now() + 1000)); // a file per seal, three seals
    }
    const counted = await users();
    expect(counted).toHaveLength(7);
    expect(counted.reduce((n: number, u: [string, number]) => n + u[1], 0)).toBe(120);

    // As an older Roost left it: no users counted, every file listed as uncounted.
    await roost.store.write(async (tx) => {
      await tx.run("DELETE FROM app_users");
      await tx.run("DELETE FROM app_user_apps");
      await tx.run("INSERT INTO users_uncounted_files SELECT path FROM lake_files");
    });
    expect(await users()).toEqual([]);
    const files =
      (await roost.store.read<{ n: number }>("SELECT count(*)::INTEGER AS n FROM lake_files"))[0]?.n ?? 0;
    expect(files).toBeGreaterThan(2);

    // Compaction leaves the uncounted partitions alone.
    expect((await lake.compact(new Date(Date.now() + 7_200_000))).filesIn).toBe(0);

    // At most 40 rows a run (no file holds more here): 120 rows take at least three runs.
    const batches: number[] = [];
    for (;;) {
      const r = await lake.countUncountedUsers(40);
      if (r.files === 0) break;
      batches.push(r.rows);
    }
    expect(batches.every((rows) => rows <= 40)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(120);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(await users()).toEqual(counted);
    expect((await lake.compact(new Date(Date.now() + 7_200_000))).filesIn).toBeGreaterThan(0);
    expect(await users()).toEqual(counted);
  });
});
