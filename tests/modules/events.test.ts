import { describe, expect, test } from "bun:test";
import { eventsFixture } from "./events.support";

const { f, ev, put, list, pageAll } = eventsFixture();
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
    const r = await f.roost.call("GET", "/v1/events/count?level=nope", { token: f.t.adminKey });
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
      `team_id=${f.t.team.id}`,
      `project_id=${f.t.project.id}`,
      `app_id=${f.t.app.id}`,
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
    const count = await f.roost.call("GET", "/v1/events/count?screen_name=Count", { token: f.t.adminKey });
    expect(count.body.count).toBe(all.length);
    expect(count.body.count).toBe(40);
    expect(count.body.unique_users).toBe(
      new Set(events.map((e) => e.user_id).filter((u) => u !== null)).size,
    );
    expect(count.body.unique_sessions).toBe(7);
    const errors = await f.roost.call("GET", "/v1/events/count?screen_name=Count&level=error", {
      token: f.t.adminKey,
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
    const r = await f.roost.call("GET", `/v1/events/${event.id}`, { token: f.t.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...event, project_id: f.t.project.id, attachments: [] });
    expect(r.body.custom_attributes).toEqual({ k: "v" });
    expect(r.body.experiments).toEqual({ f: "on" });
  });

  test("malformed, unknown, another team's and a deleted app's event → 404 Event not found", async () => {
    await put(
      [ev({ session_id: "theirs", environment: "ios" })],
      (
        await f.roost.call("POST", "/v1/keys", {
          token: f.stranger.token,
          body: { kind: "import", name: "i", app_id: f.stranger.app.id },
        })
      ).body.secret,
      f.stranger.app.bundle_id,
    );
    const theirs = (await list("session_id=theirs", f.stranger.adminKey)).body.events[0].id;
    const app = await f.roost.call("POST", "/v1/apps", {
      token: f.t.token,
      body: { project_id: f.t.project.id, name: "gone", platform: "backend" },
    });
    await f.roost.call("POST", "/v1/ingest", {
      token: app.body.client_key.secret,
      body: { events: [ev({ environment: "backend", session_id: "gone" })] },
    });
    const gone = (await list("session_id=gone")).body.events[0].id;
    await f.roost.call("DELETE", `/v1/apps/${app.body.id}`, { token: f.t.token });
    for (const id of ["nope", "01a20000-0000-7000-8000-000000000000", theirs, gone]) {
      const r = await f.roost.call("GET", `/v1/events/${id}`, { token: f.t.adminKey });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "Event not found" });
    }
    expect((await list("session_id=gone")).body.events).toEqual([]);
  });
});

describe("access", () => {
  test("no credentials 401; client key 403; a member's JWT may read", async () => {
    expect((await f.roost.call("GET", "/v1/events")).status).toBe(401);
    for (const path of [
      "/v1/events",
      "/v1/events/count",
      "/v1/events/01a20000-0000-7000-8000-000000000000",
    ]) {
      const r = await f.roost.call("GET", path, { token: f.t.clientKey });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe("Missing permission: events:read");
    }
    expect((await list("limit=1", f.t.token)).status).toBe(200);
  });

  test("another team's team_id, project_id or app_id gives an empty 200", async () => {
    for (const q of [`team_id=${f.t.team.id}`, `project_id=${f.t.project.id}`, `app_id=${f.t.app.id}`]) {
      const r = await list(q, f.stranger.adminKey);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ events: [], cursor: null, has_more: false });
      const c = await f.roost.call("GET", `/v1/events/count?${q}`, { token: f.stranger.adminKey });
      expect(c.body).toEqual({ count: 0, unique_users: 0, unique_sessions: 0 });
    }
  });
});
