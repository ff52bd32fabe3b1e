import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/** Owlmetry's metrics API on small fixed data, against answers worked out by hand. */
let roost: Roost;
let t: Tenant;
let other: Tenant;
const NOW = Date.now();
const T = NOW - 2 * 3_600_000; // two hours ago: old enough for a start to count as abandoned
const at = (ms: number) => new Date(ms).toISOString();
const track = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

let seq = 0;
function metric(
  phase: string,
  user: string,
  extra: {
    tracking?: number;
    duration?: string;
    error?: string;
    ms?: number;
    version?: string;
    env?: string;
  } = {},
  slug = "upload",
) {
  const attrs: Record<string, string> = {};
  if (extra.tracking !== undefined) attrs.tracking_id = track(extra.tracking);
  if (extra.duration !== undefined) attrs.duration_ms = extra.duration;
  if (extra.error !== undefined) attrs.error = extra.error;
  seq++;
  return {
    client_event_id: `m-${seq}`,
    session_id: `s-${user}`,
    user_id: user,
    level: "info",
    message: `metric:${slug}:${phase}`,
    environment: extra.env ?? "ios",
    app_version: extra.version ?? "1.0.0",
    custom_attributes: Object.keys(attrs).length ? attrs : undefined,
    experiments: { paywall: user === "u1" ? "a" : "b" },
    timestamp: at(extra.ms ?? T + seq * 1000),
  };
}

// Durations with a value: 100, 200, 300, 50, 400, 500 → sorted 50 100 200 300 400 500.
const EVENTS = [
  metric("start", "u1", { tracking: 1 }),
  metric("complete", "u1", { tracking: 1, duration: "100" }),
  metric("start", "u2", { tracking: 2, version: "1.1.0" }),
  metric("complete", "u2", { tracking: 2, duration: "200", version: "1.1.0" }),
  metric("start", "u1", { tracking: 3 }),
  metric("fail", "u1", { tracking: 3, duration: "300", error: "Timeout" }),
  metric("start", "u3", { tracking: 4 }),
  metric("cancel", "u3", { tracking: 4, duration: "50" }),
  metric("start", "u3", { tracking: 5 }), // never ends, two hours ago: abandoned
  metric("start", "u2", { tracking: 6, ms: NOW - 600_000 }), // never ends, ten minutes ago: in flight
  metric("complete", "u2", { tracking: 7, duration: "400", version: "1.1.0" }),
  metric("fail", "u1", { tracking: 8, duration: "500", error: "Timeout", env: "macos" }),
  metric("fail", "u2", { error: "Disk full" }),
  metric("record", "u4", { duration: "7" }, "cache-hit"),
  { ...metric("complete", "u9", { duration: "9999" }), client_event_id: "dev-1", is_dev: true },
  {
    ...metric("complete", "u9", { duration: "1" }),
    message: "metric:Upload:complete",
    client_event_id: "bad-slug",
  },
];

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Metrics");
  other = await roost.tenant("Other");
  const r = await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: { bundle_id: t.app.bundle_id, events: EVENTS },
  });
  expect(r.status).toBe(200);
});
afterAll(() => roost.close());

const base = () => `/v1/projects/${t.project.id}/metrics`;
const query = async (q = "") => {
  const r = await roost.call("GET", `${base()}/upload/query?since=${at(T - 60_000)}${q}`, { token: t.token });
  expect(r.status).toBe(200);
  return r.body.aggregation;
};

describe("metric queries", () => {
  test("counts per phase, success rate, percentiles, abandoned starts, users and errors", async () => {
    expect(await query()).toEqual({
      total_count: 13,
      start_count: 6,
      complete_count: 3,
      fail_count: 3,
      cancel_count: 1,
      record_count: 0,
      abandoned_count: 1,
      // complete / (complete + fail): cancels are in neither.
      success_rate: 50,
      duration_avg_ms: 258.33,
      duration_min_ms: 50,
      // Linear interpolation over six values: p50 between 200 and 300, p90 at 4.5 → 450 …
      duration_p50_ms: 250,
      duration_p90_ms: 450,
      duration_p95_ms: 475,
      duration_p99_ms: 495,
      duration_max_ms: 500,
      unique_users: 3,
      error_breakdown: [
        { error: "Timeout", count: 2 },
        { error: "Disk full", count: 1 },
      ],
    });
  });

  test("the filters narrow the rows; development data only when asked", async () => {
    expect((await query("&app_version=1.1.0")).total_count).toBe(3);
    expect((await query("&environment=macos")).fail_count).toBe(1);
    expect((await query("&user_id=u3")).total_count).toBe(3);
    expect((await query("&experiment=paywall:a")).total_count).toBe(5);
    const all = await query("&data_mode=all");
    expect(all.complete_count).toBe(4);
    expect(all.duration_max_ms).toBe(9999);
    expect((await query("&data_mode=development")).total_count).toBe(1);
    // A range that ends before the in-flight start.
    expect((await query(`&until=${at(NOW - 3_600_000)}`)).start_count).toBe(5);
  });

  test("a single-shot metric, and a slug without a definition, are queryable", async () => {
    const r = await roost.call("GET", `${base()}/cache-hit/query?since=${at(T - 60_000)}`, {
      token: t.token,
    });
    expect(r.body.aggregation).toMatchObject({
      total_count: 1,
      record_count: 1,
      duration_p50_ms: 7,
      success_rate: null,
    });
    // The message with capitals is not a metric (Owlmetry's slug rule).
    const bad = await roost.call("GET", `${base()}/Upload/query?since=${at(T - 60_000)}`, { token: t.token });
    expect(bad.body.aggregation.total_count).toBe(0);
  });

  test("grouped by version, by experiment and as a time series", async () => {
    const byVersion = (await query("&group_by=app_version")).groups;
    expect(byVersion).toEqual([
      {
        key: "app_version",
        value: "1.0.0",
        total_count: 10,
        complete_count: 1,
        fail_count: 3,
        success_rate: 25,
        duration_avg_ms: 237.5,
        duration_p50_ms: 200,
        duration_p90_ms: 440,
        duration_p95_ms: 470,
        duration_p99_ms: 494,
        unique_users: 3,
      },
      {
        key: "app_version",
        value: "1.1.0",
        total_count: 3,
        complete_count: 2,
        fail_count: 0,
        success_rate: 100,
        duration_avg_ms: 300,
        duration_p50_ms: 300,
        duration_p90_ms: 380,
        duration_p95_ms: 390,
        duration_p99_ms: 398,
        unique_users: 1,
      },
    ]);
    const byVariant = (await query("&group_by=experiment:paywall")).groups;
    expect(byVariant.map((g: any) => [g.value, g.total_count, g.success_rate])).toEqual([
      ["b", 8, 66.67],
      ["a", 5, 33.33],
    ]);
    const hourly = (await query("&group_by=time:hour")).groups;
    expect(hourly.map((g: any) => g.total_count).reduce((a: number, b: number) => a + b, 0)).toBe(13);
    const buckets = hourly.map((g: any) => g.value);
    expect(buckets).toEqual([...buckets].sort());
    expect(buckets[0]).toBe(new Date(Math.floor((T + 1000) / 3_600_000) * 3_600_000).toISOString());
    // Days and weeks (from Monday) start at midnight UTC.
    const daily = (await query("&group_by=time:day")).groups;
    expect(daily[0].value).toBe(`${new Date(T + 1000).toISOString().slice(0, 10)}T00:00:00.000Z`);
    const weekly = (await query("&group_by=time:week")).groups;
    const monday = new Date(weekly[0].value);
    expect([monday.getUTCDay(), monday.getUTCHours(), monday.getUTCMinutes()]).toEqual([1, 0, 0]);
    expect(Date.parse(daily[0].value) - monday.getTime()).toBeLessThan(7 * 86_400_000);
    expect(weekly.reduce((n: number, g: any) => n + g.total_count, 0)).toBe(13);
  });

  test("bad input is a 400 with a message", async () => {
    const cases: Array<[string, string]> = [
      ["&group_by=nope", "Invalid group_by value: nope"],
      ["&data_mode=x", "data_mode must be one of production, development, all"],
      ["&experiment=paywall", "experiment must be name:variant"],
      ["&since=yesterday", "since must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date"],
      ["&app_id=x", "app_id must be a UUID"],
      ["&environment=moon", "Unknown environment: moon"],
    ];
    for (const [q, message] of cases) {
      const r = await roost.call("GET", `${base()}/upload/query?${q}`, { token: t.token });
      expect(r.status).toBe(400);
      expect(r.body.error).toStartWith(message);
    }
  });
});

describe("metric events, overview and completions", () => {
  test("the events list pages newest first with a cursor, and filters by phase and tracking id", async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `${base()}/upload/events?limit=4${cursor ? `&cursor=${cursor}` : ""}`;
      const r: any = await roost.call("GET", q, { token: t.token });
      expect(r.status).toBe(200);
      seen.push(...r.body.events);
      cursor = r.body.cursor;
      expect(r.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen.length).toBe(13);
    expect(seen.map((e) => e.timestamp)).toEqual([...seen.map((e) => e.timestamp)].sort().reverse());
    const fail = seen.find((e) => e.phase === "fail" && e.error === "Timeout" && e.duration_ms === 300);
    expect(fail).toMatchObject({
      metric_slug: "upload",
      tracking_id: track(3),
      user_id: "u1",
      is_dev: false,
    });
    expect(fail.attributes).toEqual({ tracking_id: track(3), duration_ms: "300", error: "Timeout" });
    const phase = await roost.call("GET", `${base()}/upload/events?phase=start`, { token: t.token });
    expect(phase.body.events.length).toBe(6);
    const one = await roost.call("GET", `${base()}/upload/events?tracking_id=${track(1)}`, {
      token: t.token,
    });
    expect(one.body.events.map((e: any) => e.phase).sort()).toEqual(["complete", "start"]);
    const bad = await roost.call("GET", `${base()}/upload/events?phase=done`, { token: t.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("phase must be one of start, complete, fail, cancel, record");
    const badCursor = await roost.call("GET", `${base()}/upload/events?cursor=zzz`, { token: t.token });
    expect(badCursor.status).toBe(400);
  });

  test("every metric's completions per project and team; completion counts", async () => {
    const since = `since=${at(T - 60_000)}`;
    const project = await roost.call("GET", `/v1/projects/${t.project.id}/metric-stats?${since}`, {
      token: t.token,
    });
    expect(project.body.stats).toEqual([
      { slug: "cache-hit", complete_count: 0, fail_count: 0, success_rate: null },
      { slug: "upload", complete_count: 3, fail_count: 3, success_rate: 50 },
    ]);
    const team = await roost.call("GET", `/v1/metric-stats?${since}`, { token: t.token });
    expect(team.body.stats.map((s: any) => [s.project_id, s.slug])).toEqual([
      [t.project.id, "cache-hit"],
      [t.project.id, "upload"],
    ]);
    const counts = await roost.call("GET", `/v1/metrics/completions/count?${since}`, { token: t.token });
    expect(counts.body).toEqual({ count: 3, started: 6 });
    // Another team sees none of it.
    const theirs = await roost.call("GET", `/v1/metrics/completions/count?${since}`, { token: other.token });
    expect(theirs.body).toEqual({ count: 0, started: 0 });
  });
});

describe("metric definitions", () => {
  test("create, list, get by slug and id, update, delete, and a deleted slug comes back", async () => {
    const body = {
      name: "Photo upload",
      slug: "upload",
      description: "From pick to stored",
      aggregation_rules: { lifecycle: true },
    };
    const created = await roost.call("POST", base(), { token: t.token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...body,
      project_id: t.project.id,
      status: "active",
      documentation: null,
    });
    const again = await roost.call("POST", base(), { token: t.token, body });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("A metric with this slug already exists in this project");
    const list = await roost.call("GET", base(), { token: t.adminKey });
    expect(list.body.metrics.map((m: any) => m.slug)).toEqual(["upload"]);
    const byId = await roost.call("GET", `/v1/metrics/by-id/${created.body.id}`, { token: t.token });
    expect(byId.body).toEqual(created.body);
    const patched = await roost.call("PATCH", `${base()}/upload`, {
      token: t.token,
      body: { status: "paused", documentation: "Measured on device" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      status: "paused",
      documentation: "Measured on device",
      name: "Photo upload",
    });
    expect((await roost.call("GET", `${base()}/upload`, { token: t.token })).body.status).toBe("paused");
    const deleted = await roost.call("DELETE", `${base()}/upload`, { token: t.token });
    expect(deleted.body).toEqual({ deleted: true });
    expect((await roost.call("GET", `${base()}/upload`, { token: t.token })).status).toBe(404);
    // Its events stay queryable; the slug can be defined again, and keeps its id.
    expect((await query()).total_count).toBe(13);
    const back = await roost.call("POST", base(), {
      token: t.token,
      body: { name: "Upload", slug: "upload" },
    });
    expect(back.status).toBe(201);
    expect(back.body.id).toBe(created.body.id);
    expect(back.body.status).toBe("active");
  });

  test("bad definitions are a 400 with a message", async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: "X", slug: "Not A Slug" }, "slug must contain only lowercase letters, numbers, and hyphens"],
      [{ slug: "x" }, "name is required"],
      [
        { name: "X", slug: "x", aggregation_rules: { lifecycle: "yes" } },
        "aggregation_rules.lifecycle must be true or false",
      ],
      [
        { name: "X", slug: "x", schema_definition: "text" },
        "schema_definition must be a JSON object or null",
      ],
    ];
    for (const [body, message] of cases) {
      const r = await roost.call("POST", base(), { token: t.token, body });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(message);
    }
    const empty = await roost.call("PATCH", `${base()}/upload`, { token: t.token, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe("At least one field to update is required");
    const missing = await roost.call("PATCH", `${base()}/nope`, { token: t.token, body: { name: "N" } });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("Metric not found");
  });

  test("security: no credentials 401, a read-only key 403, another team's project 404", async () => {
    expect((await roost.call("GET", base())).status).toBe(401);
    const key = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "reader", team_id: t.team.id, permissions: ["metrics:read"] },
    });
    const write = await roost.call("POST", base(), {
      token: key.body.secret,
      body: { name: "Y", slug: "y" },
    });
    expect(write.status).toBe(403);
    expect(write.body.error).toBe("Missing permission: metrics:write");
    const events = await roost.call("GET", base(), { token: key.body.secret });
    expect(events.status).toBe(200);
    const noMetrics = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "events only", team_id: t.team.id, permissions: ["events:read"] },
    });
    expect((await roost.call("GET", `${base()}/upload/query`, { token: noMetrics.body.secret })).status).toBe(
      403,
    );
    for (const path of [
      base(),
      `${base()}/upload/query`,
      `${base()}/upload/events`,
      `/v1/projects/${t.project.id}/metric-stats`,
    ]) {
      const r = await roost.call("GET", path, { token: other.token });
      expect(r.status).toBe(404);
      expect(r.body.error).toBe("Project not found");
    }
    const list = await roost.call("GET", base(), { token: t.token });
    const id = list.body.metrics[0].id;
    const foreign = await roost.call("GET", `/v1/metrics/by-id/${id}`, { token: other.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toBe("Metric not found");
    expect((await roost.call("GET", "/v1/metric-stats", { token: other.token })).body.stats).toEqual([]);
  });
});
