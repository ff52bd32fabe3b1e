import { describe, expect, test } from "bun:test";
import { hintOfEventId, projectHint } from "../../src/lib/ids";
import { createLogger } from "../../src/lib/log";
import { encodeCursor, parseList } from "../../src/modules/events/params";
import { listEvents } from "../../src/modules/events/repository";
import { Lake } from "../../src/store/lake";
import { startRoost } from "../helpers";
import { eventsFixture } from "./events.support";

/**
 * The events API over the embedded store's own states (hot, sealed, compacted) and its
 * per-process rate limit. On a cluster, ClickHouse has one state, and the shared rate limit is
 * tested across nodes (tests/cluster/cross-node.cluster.ts).
 */
const { f, ev, put, list, pageAll } = eventsFixture();

describe("access on one process", () => {
  test("the rate limit: 429 with Retry-After; every response carries the headers", async () => {
    const limited = await startRoost({ eventsRateLimit: { burst: 3, perSecond: 1 } });
    try {
      const u = await limited.tenant("Limited");
      const replies = [];
      for (let i = 0; i < 4; i++)
        replies.push(await limited.call("GET", "/v1/events?limit=1", { token: u.adminKey }));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(replies.map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(["2", "1", "0", "0"]);
      expect(replies.every((r) => r.headers.get("x-ratelimit-limit") === "3")).toBe(true);
      expect(replies[3]?.body).toEqual({ error: "Rate limit exceeded" });
      expect(Number(replies[3]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe("hot, sealed, compacted: the same answers", () => {
  test("listing, paging and counts are identical before and after seal and compaction", async () => {
    await put([
      ...Array.from({ length: 120 }, (_, i) => ev({ user_id: `u${i % 7}`, session_id: `s${i % 5}` })),
      ev({ is_dev: true }),
      ev({ screen_name: "Count" }),
      ev({ level: "error", timestamp: new Date(Date.now() - 3 * 3_600_000).toISOString() }),
    ]);
    const lake = new Lake(f.roost.store, f.roost.dir, createLogger("silent"));
    const snapshot = async () => ({
      desc: await pageAll(`project_id=${f.t.project.id}&data_mode=all`, 50),
      asc: await pageAll(`project_id=${f.t.project.id}&data_mode=all&order=asc`, 77),
      count: (await f.roost.call("GET", "/v1/events/count?data_mode=all", { token: f.t.adminKey })).body,
      counts: await Promise.all(
        ["", "?data_mode=development", `?app_id=${f.t.app.id}&data_mode=all`, "?screen_name=Count"].map(
          async (q) => (await f.roost.call("GET", `/v1/events/count${q}`, { token: f.t.adminKey })).body,
        ),
      ),
      first: (await list("limit=5&data_mode=all")).body.events,
    });
    const hot = await snapshot();
    await lake.seal(new Date(Date.now() + 1000));
    expect(await f.roost.store.read("SELECT * FROM events")).toEqual([]);
    // Every sealed file has its summary, so unfiltered counts are answered without reading files.
    expect(
      await f.roost.store.read(
        "SELECT count(*) AS n FROM lake_files l WHERE NOT EXISTS (SELECT 1 FROM lake_file_counts c WHERE c.path = l.path)",
      ),
    ).toEqual([{ n: 0 }]);
    expect(await snapshot()).toEqual(hot);
    // Late copies land in the same partitions as new files; compaction merges them.
    await put([ev({ timestamp: "2024-02-02T02:30:00.000Z", session_id: "late" })]);
    await lake.seal(new Date(Date.now() + 1000));
    const withLate = await snapshot();
    expect(withLate.count.count).toBe(hot.count.count + 1);
    await lake.compact();
    expect(await snapshot()).toEqual(withLate);
    const [one] = hot.first;
    expect((await f.roost.call("GET", `/v1/events/${one.id}`, { token: f.t.adminKey })).body.id).toBe(one.id);
  });

  test("event ids carry their project's hint; /:id finds events by id with or without it, hot and sealed", async () => {
    await put([ev({ session_id: "hinted" }), ev({ session_id: "unhinted" })]);
    const other = (
      await f.roost.call("POST", "/v1/projects", {
        token: f.t.token,
        body: { team_id: f.t.team.id, name: "Other" },
      })
    ).body;
    expect(projectHint(other.id)).not.toBe(projectHint(f.t.project.id));
    // An app in it, so the project an unhinted id names is one the caller sees, and is searched first.
    await f.roost.call("POST", "/v1/apps", {
      token: f.t.token,
      body: { project_id: other.id, name: "other", platform: "backend" },
    });
    const hinted = (await list("session_id=hinted")).body.events[0];
    expect(hintOfEventId(hinted.id)).toBe(projectHint(f.t.project.id));
    // An id made elsewhere (here: naming the other project) still leads to its event.
    const made = (await list("session_id=unhinted")).body.events[0].id as string;
    const unhinted = `${made.slice(0, 15)}${projectHint(other.id)}${made.slice(18)}`;
    await f.roost.store.write((tx) =>
      tx.run("UPDATE events SET id = ?::UUID WHERE id = ?::UUID", [unhinted, made]),
    );
    const get = async (id: string) => {
      const r = await f.roost.call("GET", `/v1/events/${id}`, { token: f.t.adminKey });
      return [r.status, r.body.id, r.body.session_id];
    };
    expect(await get(hinted.id)).toEqual([200, hinted.id, "hinted"]);
    expect(await get(unhinted)).toEqual([200, unhinted, "unhinted"]);
    await new Lake(f.roost.store, f.roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await f.roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
    expect(await get(hinted.id)).toEqual([200, hinted.id, "hinted"]);
    expect(await get(unhinted)).toEqual([200, unhinted, "unhinted"]);
    expect((await get(made))[0]).toBe(404);
  });

  test("a busy sealed hour (its newest minutes read first) pages exactly as when it was hot", async () => {
    const hour = Date.parse("2023-07-01T10:00:00.000Z");
    const events = Array.from({ length: 600 }, (_, i) =>
      ev({
        // Groups of 5 share a timestamp: most in the hour's first seconds, a few spread over the
        // rest, so the slice read first is sometimes too thin and the rest of the hour is needed.
        timestamp: new Date(hour + (i < 550 ? Math.floor(i / 5) * 97 : (i - 549) * 70_001)).toISOString(),
        session_id: "busy",
      }),
    );
    await put(events);
    const range = "since=2023-07-01T00:00:00Z&until=2023-07-02T00:00:00Z&data_mode=all";
    const snapshot = async () => ({
      desc: await pageAll(range, 7),
      asc: await pageAll(`${range}&order=asc`, 9),
      big: await pageAll(range, 200),
      first: (await list(`${range}&limit=50`)).body.events.map((e: { id: string }) => e.id),
    });
    const hot = await snapshot();
    expect(hot.desc).toHaveLength(600);
    expect(new Set(hot.desc).size).toBe(600);
    expect(hot.asc).toEqual([...hot.desc].reverse());
    expect(hot.big).toEqual(hot.desc);
    expect(hot.first).toEqual(hot.desc.slice(0, 50));
    await new Lake(f.roost.store, f.roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await f.roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
    expect(await snapshot()).toEqual(hot);
  });

  test("paging across 100 partitions (by user, by session, by time range) is identical hot and sealed", async () => {
    const start = Date.parse("2023-06-01T00:00:00.000Z");
    const events = Array.from({ length: 100 }, (_, h) => [
      ev({
        timestamp: new Date(start + h * 3_600_000 + 60_000).toISOString(),
        user_id: h % 2 ? "walker" : "sitter",
        session_id: "walk",
      }),
      ev({
        timestamp: new Date(start + h * 3_600_000 + 120_000).toISOString(),
        user_id: "walker",
        session_id: `walk-${h % 3}`,
      }),
    ]).flat();
    await put(events);
    const walker = events.filter((e) => e.user_id === "walker").length;
    const snapshot = async () => ({
      userDesc: await pageAll("user_id=walker&data_mode=all", 4),
      userAsc: await pageAll("user_id=walker&data_mode=all&order=asc", 7),
      // One page over all 100 partitions.
      userAtOnce: await pageAll("user_id=walker&data_mode=all", 200),
      session: await pageAll("session_id=walk&data_mode=all&order=asc", 3),
      sessionDesc: await pageAll("session_id=walk-1&data_mode=all", 2),
      // A page of 150 spans 75 partitions.
      range: await pageAll(`since=2023-06-01T00:00:00Z&until=2023-06-06T00:00:00Z&data_mode=all`, 150),
      rangeAsc: await pageAll(
        `since=2023-06-01T00:00:00Z&until=2023-06-06T00:00:00Z&data_mode=all&order=asc`,
        150,
      ),
    });
    const hot = await snapshot();
    expect(hot.userDesc).toHaveLength(walker);
    expect(new Set(hot.userDesc).size).toBe(walker);
    expect(hot.userAsc).toEqual([...hot.userDesc].reverse());
    expect(hot.userAtOnce).toEqual(hot.userDesc);
    expect(hot.session).toHaveLength(100);
    expect(hot.sessionDesc).toHaveLength(33);
    expect(hot.range).toHaveLength(200);
    expect(hot.rangeAsc).toEqual([...hot.range].reverse());
    await new Lake(f.roost.store, f.roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await f.roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
    expect(await snapshot()).toEqual(hot);

    // Windows over many rows are read in two steps (keys first, then the rows); both ways agree.
    const apps = await f.roost.store.read<{ id: string; project_id: string }>(
      "SELECT id::VARCHAR AS id, project_id::VARCHAR AS project_id FROM apps WHERE project_id = ?::UUID",
      [f.t.project.id],
    );
    const visible = { appIds: apps.map((a) => a.id), projectIds: [f.t.project.id] };
    for (const q of [
      { data_mode: "all", limit: "37" },
      { data_mode: "all", limit: "37", order: "asc" },
      { data_mode: "all", user_id: "walker", limit: "9" },
      { data_mode: "all", since: "2023-06-01T00:00:00Z", until: "2023-06-03T00:00:00Z", limit: "200" },
    ]) {
      const params = parseList(q);
      const oneStep = await listEvents(f.roost.store, visible, params, {
        twoStepRows: Number.POSITIVE_INFINITY,
      });
      const twoSteps = await listEvents(f.roost.store, visible, params, { twoStepRows: 0 });
      expect(twoSteps.length).toBeGreaterThan(0);
      expect(twoSteps).toEqual(oneStep);
      const next = parseList({
        ...q,
        cursor: encodeCursor({ ts: oneStep.at(-1)!.ts_us, id: oneStep.at(-1)!.id, order: params.order }),
      });
      expect(await listEvents(f.roost.store, visible, next, { twoStepRows: 0 })).toEqual(
        await listEvents(f.roost.store, visible, next, { twoStepRows: Number.POSITIVE_INFINITY }),
      );
    }
  });
});
