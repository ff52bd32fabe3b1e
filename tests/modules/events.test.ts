import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hintOfEventId, projectHint } from "../../src/lib/ids";
import { createLogger } from "../../src/lib/log";
import { encodeCursor, parseList } from "../../src/modules/events/params";
import { listEvents } from "../../src/modules/events/repository";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let stranger: Tenant;
let importKey: string;

beforeAll(async () => {
  // The rate limit has a test of its own below; here it would only get in the way.
  roost = await startRoost({ eventsRateLimit: { burst: 1_000_000, perSecond: 1_000_000 } });
  t = await roost.tenant("Events");
  stranger = await roost.tenant("Stranger");
  importKey = (
    await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "import", name: "i", app_id: t.app.id },
    })
  ).body.secret;
});
afterAll(() => roost.close());

let seq = 0;
const ev = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  client_event_id: `ev-${seq++}`,
  session_id: "s-1",
  level: "info",
  message: "m",
  environment: "ios",
  ...over,
});
async function put(events: Record<string, unknown>[], token = importKey, bundle = t.app.bundle_id) {
  const r = await roost.call("POST", "/v1/import", { token, body: { bundle_id: bundle, events } });
  expect(r.body.accepted).toBe(events.length);
}
const list = (query: string, token = t.adminKey) => roost.call("GET", `/v1/events?${query}`, { token });

/** Follows the cursor to the end; returns every event id in the order received. */
async function pageAll(query: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const r = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(r.status).toBe(200);
    ids.push(...r.body.events.map((e: { id: string }) => e.id));
    expect(r.body.cursor === null).toBe(!r.body.has_more);
    if (!r.body.has_more) return ids;
    cursor = r.body.cursor;
  }
  throw new Error("too many pages");
}

describe("GET /v1/events: parameters", () => {
  test.each([
    ["team_id=abc", "team_id must be a UUID"],
    ["project_id=abc", "project_id must be a UUID"],
    ["app_id=abc", "app_id must be a UUID"],
    ["level=fatal", "Unknown log level(s): fatal. Allowed: info, debug, warn, error"],
    ["level=info,loud,quiet", "Unknown log level(s): loud, quiet. Allowed: info, debug, warn, error"],
    [
      "environment=windows",
      "Unknown environment: windows. Allowed: ios, ipados, macos, watchos, tvos, visionos, android, web, backend",
    ],
    ["since=yesterday", "since must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date"],
    ["until=5y", "until must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date"],
    ["since=1h&until=2h", "since must not be after until"],
    ["data_mode=test", "data_mode must be one of production, development, all"],
    ["cursor=garbage", "Invalid cursor"],
    ["limit=0", "limit must be a whole number from 1 to 200"],
    ["limit=201", "limit must be a whole number from 1 to 200"],
    ["limit=ten", "limit must be a whole number from 1 to 200"],
    ["order=sideways", "order must be desc or asc"],
  ])("%s → 400 %s", async (query, message) => {
    const r = await list(query);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: message });
  });

  test("count checks the same filters", async () => {
    const r = await roost.call("GET", "/v1/events/count?level=nope", { token: t.adminKey });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("Unknown log level(s): nope. Allowed: info, debug, warn, error");
  });

  test("good values of each parameter are accepted", async () => {
    for (const q of [
      "level=info,error",
      "environment=ios",
      "since=30s",
      "since=30m",
      "since=12h",
      "since=7d",
      "since=1w",
      "since=2024-01-01",
      "until=2024-01-01T10:00:00Z",
      "data_mode=all",
      "limit=1",
      "limit=200",
      "order=asc",
      `team_id=${t.team.id}`,
      `project_id=${t.project.id}`,
      `app_id=${t.app.id}`,
      "user_id=x",
      "session_id=y",
      "screen_name=z",
    ]) {
      expect((await list(q)).status).toBe(200);
    }
  });

  test("a cursor from the other order → 400 Invalid cursor", async () => {
    await put([ev(), ev()]);
    const first = await list("limit=1&order=asc");
    const r = await list(`limit=1&order=desc&cursor=${first.body.cursor}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("Invalid cursor");
  });
});

describe("GET /v1/events: paging", () => {
  test("1,000 events with one timestamp, pages of 7, both orders: each exactly once, in (timestamp, id) order", async () => {
    const same = "2024-02-02T02:02:02.002Z";
    await put(Array.from({ length: 1000 }, () => ev({ timestamp: same, session_id: "same-ts" })));
    for (const order of ["desc", "asc"]) {
      const ids = await pageAll(`session_id=same-ts&order=${order}`, 7);
      expect(ids).toHaveLength(1000);
      expect(new Set(ids).size).toBe(1000);
      const sorted = [...ids].sort();
      expect(ids).toEqual(order === "asc" ? sorted : sorted.reverse());
    }
  });

  test("paging while new events arrive skips and repeats nothing that existed at the start", async () => {
    const base = Date.parse("2024-03-03T00:00:00.000Z");
    await put(
      Array.from({ length: 60 }, (_, i) =>
        ev({ session_id: "live", timestamp: new Date(base + (i % 20) * 1000).toISOString() }),
      ),
    );
    const existing = new Set(await pageAll("session_id=live", 200));
    expect(existing.size).toBe(60);
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const r = await list(`session_id=live&limit=9${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...r.body.events.map((e: { id: string }) => e.id));
      cursor = r.body.cursor;
      // Newer, older and equal timestamps arrive between pages.
      await put([
        ev({ session_id: "live", timestamp: new Date(base + 50_000 + round).toISOString() }),
        ev({ session_id: "live", timestamp: new Date(base - 5_000 - round).toISOString() }),
        ev({ session_id: "live", timestamp: new Date(base + 10_000).toISOString() }),
      ]);
      round++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });
});

describe("GET /v1/events: filters", () => {
  test("since is inclusive and until exclusive, to the millisecond", async () => {
    await put(
      ["2024-04-04T04:04:04.003Z", "2024-04-04T04:04:04.004Z", "2024-04-04T04:04:04.005Z"].map((ts) =>
        ev({ session_id: "edge", timestamp: ts }),
      ),
    );
    const r = await list("session_id=edge&since=2024-04-04T04:04:04.004Z&until=2024-04-04T04:04:04.005Z");
    expect(r.body.events.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      "2024-04-04T04:04:04.004Z",
    ]);
    const naive = await list("session_id=edge&since=2024-04-04T04:04:04.004");
    expect(naive.body.events).toHaveLength(2);
  });

  test("data_mode: production (default), development, all", async () => {
    await put([ev({ session_id: "dm", is_dev: true }), ev({ session_id: "dm" }), ev({ session_id: "dm" })]);
    const n = async (q: string) => (await list(`session_id=dm${q}`)).body.events.length;
    expect(await n("")).toBe(2);
    expect(await n("&data_mode=production")).toBe(2);
    expect(await n("&data_mode=development")).toBe(1);
    expect(await n("&data_mode=all")).toBe(3);
  });

  test("count equals the full listing; uniques are the distinct values (null user is not a user)", async () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      ev({
        session_id: `cnt-${i % 7}`,
        user_id: i % 5 === 0 ? null : `u-${i % 9}`,
        level: i % 4 === 0 ? "error" : "info",
        screen_name: "Count",
      }),
    );
    await put(events);
    const all = await pageAll("screen_name=Count", 13);
    const count = await roost.call("GET", "/v1/events/count?screen_name=Count", { token: t.adminKey });
    expect(count.body.count).toBe(all.length);
    expect(count.body.count).toBe(40);
    expect(count.body.unique_users).toBe(
      new Set(events.map((e) => e.user_id).filter((u) => u !== null)).size,
    );
    expect(count.body.unique_sessions).toBe(7);
    const errors = await roost.call("GET", "/v1/events/count?screen_name=Count&level=error", {
      token: t.adminKey,
    });
    expect(errors.body.count).toBe(10);
  });
});

describe("GET /v1/events/:id", () => {
  test("answers every field plus project_id and attachments []", async () => {
    await put([
      ev({ session_id: "one", custom_attributes: { k: "v" }, experiments: { f: "on" }, user_id: "u" }),
    ]);
    const [event] = (await list("session_id=one")).body.events;
    const r = await roost.call("GET", `/v1/events/${event.id}`, { token: t.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...event, project_id: t.project.id, attachments: [] });
    expect(r.body.custom_attributes).toEqual({ k: "v" });
    expect(r.body.experiments).toEqual({ f: "on" });
  });

  test("malformed, unknown, another team's and a deleted app's event → 404 Event not found", async () => {
    await put(
      [ev({ session_id: "theirs", environment: "ios" })],
      (
        await roost.call("POST", "/v1/keys", {
          token: stranger.token,
          body: { kind: "import", name: "i", app_id: stranger.app.id },
        })
      ).body.secret,
      stranger.app.bundle_id,
    );
    const theirs = (await list("session_id=theirs", stranger.adminKey)).body.events[0].id;
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "gone", platform: "backend" },
    });
    await roost.call("POST", "/v1/ingest", {
      token: app.body.client_key.secret,
      body: { events: [ev({ environment: "backend", session_id: "gone" })] },
    });
    const gone = (await list("session_id=gone")).body.events[0].id;
    await roost.call("DELETE", `/v1/apps/${app.body.id}`, { token: t.token });
    for (const id of ["nope", "01a20000-0000-7000-8000-000000000000", theirs, gone]) {
      const r = await roost.call("GET", `/v1/events/${id}`, { token: t.adminKey });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "Event not found" });
    }
    expect((await list("session_id=gone")).body.events).toEqual([]);
  });
});

describe("access", () => {
  test("no credentials 401; client key 403; a member's JWT may read", async () => {
    expect((await roost.call("GET", "/v1/events")).status).toBe(401);
    for (const path of [
      "/v1/events",
      "/v1/events/count",
      "/v1/events/01a20000-0000-7000-8000-000000000000",
    ]) {
      const r = await roost.call("GET", path, { token: t.clientKey });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe("Missing permission: events:read");
    }
    expect((await list("limit=1", t.token)).status).toBe(200);
  });

  test("another team's team_id, project_id or app_id gives an empty 200", async () => {
    for (const q of [`team_id=${t.team.id}`, `project_id=${t.project.id}`, `app_id=${t.app.id}`]) {
      const r = await list(q, stranger.adminKey);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ events: [], cursor: null, has_more: false });
      const c = await roost.call("GET", `/v1/events/count?${q}`, { token: stranger.adminKey });
      expect(c.body).toEqual({ count: 0, unique_users: 0, unique_sessions: 0 });
    }
  });

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
    const lake = new Lake(roost.store, roost.dir, createLogger("silent"));
    const snapshot = async () => ({
      desc: await pageAll(`project_id=${t.project.id}&data_mode=all`, 50),
      asc: await pageAll(`project_id=${t.project.id}&data_mode=all&order=asc`, 77),
      count: (await roost.call("GET", "/v1/events/count?data_mode=all", { token: t.adminKey })).body,
      counts: await Promise.all(
        ["", "?data_mode=development", `?app_id=${t.app.id}&data_mode=all`, "?screen_name=Count"].map(
          async (q) => (await roost.call("GET", `/v1/events/count${q}`, { token: t.adminKey })).body,
        ),
      ),
      first: (await list("limit=5&data_mode=all")).body.events,
    });
    const hot = await snapshot();
    await lake.seal(new Date(Date.now() + 1000));
    expect(await roost.store.read("SELECT * FROM events")).toEqual([]);
    // Every sealed file has its summary, so unfiltered counts are answered without reading files.
    expect(
      await roost.store.read(
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
    expect((await roost.call("GET", `/v1/events/${one.id}`, { token: t.adminKey })).body.id).toBe(one.id);
  });

  test("event ids carry their project's hint; /:id finds events by id with or without it, hot and sealed", async () => {
    await put([ev({ session_id: "hinted" }), ev({ session_id: "unhinted" })]);
    const other = (
      await roost.call("POST", "/v1/projects", {
        token: t.token,
        body: { team_id: t.team.id, name: "Other" },
      })
    ).body;
    expect(projectHint(other.id)).not.toBe(projectHint(t.project.id));
    // An app in it, so the project an unhinted id names is one the caller sees, and is searched first.
    await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: other.id, name: "other", platform: "backend" },
    });
    const hinted = (await list("session_id=hinted")).body.events[0];
    expect(hintOfEventId(hinted.id)).toBe(projectHint(t.project.id));
    // An id made elsewhere (here: naming the other project) still leads to its event.
    const made = (await list("session_id=unhinted")).body.events[0].id as string;
    const unhinted = `${made.slice(0, 15)}${projectHint(other.id)}${made.slice(18)}`;
    await roost.store.write((tx) =>
      tx.run("UPDATE events SET id = ?::UUID WHERE id = ?::UUID", [unhinted, made]),
    );
    const get = async (id: string) => {
      const r = await roost.call("GET", `/v1/events/${id}`, { token: t.adminKey });
      return [r.status, r.body.id, r.body.session_id];
    };
    expect(await get(hinted.id)).toEqual([200, hinted.id, "hinted"]);
    expect(await get(unhinted)).toEqual([200, unhinted, "unhinted"]);
    await new Lake(roost.store, roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
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
    await new Lake(roost.store, roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
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
    await new Lake(roost.store, roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
    expect(await roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
    expect(await snapshot()).toEqual(hot);

    // Windows over many rows are read in two steps (keys first, then the rows); both ways agree.
    const apps = await roost.store.read<{ id: string; project_id: string }>(
      "SELECT id::VARCHAR AS id, project_id::VARCHAR AS project_id FROM apps WHERE project_id = ?::UUID",
      [t.project.id],
    );
    const visible = { appIds: apps.map((a) => a.id), projectIds: [t.project.id] };
    for (const q of [
      { data_mode: "all", limit: "37" },
      { data_mode: "all", limit: "37", order: "asc" },
      { data_mode: "all", user_id: "walker", limit: "9" },
      { data_mode: "all", since: "2023-06-01T00:00:00Z", until: "2023-06-03T00:00:00Z", limit: "200" },
    ]) {
      const params = parseList(q);
      const oneStep = await listEvents(roost.store, visible, params, {
        twoStepRows: Number.POSITIVE_INFINITY,
      });
      const twoSteps = await listEvents(roost.store, visible, params, { twoStepRows: 0 });
      expect(twoSteps.length).toBeGreaterThan(0);
      expect(twoSteps).toEqual(oneStep);
      const next = parseList({
        ...q,
        cursor: encodeCursor({ ts: oneStep.at(-1)!.ts_us, id: oneStep.at(-1)!.id, order: params.order }),
      });
      expect(await listEvents(roost.store, visible, next, { twoStepRows: 0 })).toEqual(
        await listEvents(roost.store, visible, next, { twoStepRows: Number.POSITIVE_INFINITY }),
      );
    }
  });
});
