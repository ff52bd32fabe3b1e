import { describe, expect, test } from "bun:test";
import { statsFixture } from "./stats.support";

const { f, RANGE, stats } = statsFixture();

describe("parameters, in Sentry's order and words", () => {
  test.each([
    [
      "project=abc&field=sum(quantity)&category=error",
      "Invalid project parameter. Values must be project ids.",
    ],
    ["groupBy=outcome", 'At least one "field" is required.'],
    [
      "field=sum(quantity)&category=error&interval=30s",
      "The interval has to be a multiple of the minimum interval of one minute.",
    ],
    [
      "field=sum(quantity)&category=error&interval=90s",
      "The interval has to be a multiple of the minimum interval of one minute.",
    ],
    ["field=sum(quantity)&category=error&interval=2d", "The interval has to be less than one day."],
    [
      "field=sum(quantity)&category=error&interval=7m",
      "The interval should divide one day without a remainder.",
    ],
    ["field=sum(quantity)&category=error&statsPeriod=forever", "Invalid statsPeriod: 'forever'"],
    ["field=sum(quantity)&category=error&start=2021-03-13T00:00:00Z", "start and end are both required"],
    [
      "field=sum(quantity)&category=error&start=yesterday&end=2021-03-13T00:00:00Z",
      "yesterday is not a valid ISO8601 date query",
    ],
    [
      "field=sum(quantity)&category=error&start=2021-03-14T00:00:00Z&end=2021-03-13T00:00:00Z",
      "start must be before end",
    ],
    [
      "field=sum(quantity)&category=error&interval=1m&statsPeriod=2d",
      "Your interval and date range would create too many results. Use a larger interval, or a smaller date range.",
    ],
    ["field=count()&category=error&statsPeriod=1d", 'Invalid field: "count()"'],
    ["field=sum(quantity)&groupBy=planet&category=error&statsPeriod=1d", 'Invalid groupBy: "planet"'],
    ["field=sum(quantity)&groupBy=outcome&statsPeriod=1d", "Query must have category as groupby or filter"],
    ["field=sum(quantity)&category=error&outcome=lost&statsPeriod=1d", 'Invalid outcome: "lost"'],
    ["field=sum(quantity)&category=widgets&statsPeriod=1d", 'Invalid category: "widgets"'],
    [
      "field=sum(quantity)&category=attachment&category=error&statsPeriod=1d",
      "if filtering by attachment no other category may be present",
    ],
  ])("%s → 400", async (qs, detail) => {
    const r = await stats(qs);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ detail });
  });

  test("field comes before interval, interval before range: the first failure wins", async () => {
    expect((await stats("interval=30s&statsPeriod=bad")).body.detail).toBe(
      'At least one "field" is required.',
    );
    expect((await stats("field=x&interval=30s&statsPeriod=bad")).body.detail).toBe(
      "The interval has to be a multiple of the minimum interval of one minute.",
    );
  });
});

describe("buckets", () => {
  test("a day interval: aligned start and end, every bucket, zero where nothing", async () => {
    const r = await stats(`field=sum(quantity)&groupBy=outcome&category=error&interval=1d&${RANGE}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      start: "2021-03-13T00:00:00Z",
      end: "2021-03-15T00:00:00Z",
      intervals: ["2021-03-13T00:00:00Z", "2021-03-14T00:00:00Z"],
      groups: [
        { by: { outcome: "accepted" }, totals: { "sum(quantity)": 10 }, series: { "sum(quantity)": [2, 8] } },
        { by: { outcome: "invalid" }, totals: { "sum(quantity)": 3 }, series: { "sum(quantity)": [0, 3] } },
        {
          by: { outcome: "rate_limited" },
          totals: { "sum(quantity)": 4 },
          series: { "sum(quantity)": [0, 4] },
        },
      ],
    });
  });

  test("6-hour buckets align to the epoch and cover the range", async () => {
    const r = await stats(
      "field=sum(quantity)&category=error&interval=6h&start=2021-03-14T07:30:00Z&end=2021-03-14T13:00:00Z",
    );
    expect(r.body.start).toBe("2021-03-14T06:00:00Z");
    expect(r.body.end).toBe("2021-03-14T18:00:00Z");
    expect(r.body.intervals).toEqual(["2021-03-14T06:00:00Z", "2021-03-14T12:00:00Z"]);
    expect(r.body.groups).toEqual([
      { by: {}, totals: { "sum(quantity)": 15 }, series: { "sum(quantity)": [14, 1] } },
    ]);
  });

  test("hour and 15-minute buckets", async () => {
    const hour = await stats(
      "field=sum(quantity)&category=error&interval=1h&start=2021-03-14T10:00:00Z&end=2021-03-14T12:00:00Z",
    );
    expect(hour.body.intervals).toEqual(["2021-03-14T10:00:00Z", "2021-03-14T11:00:00Z"]);
    expect(hour.body.groups[0].series["sum(quantity)"]).toEqual([10, 4]);
    const quarter = await stats(
      "field=sum(quantity)&category=error&interval=15m&start=2021-03-14T10:00:00Z&end=2021-03-14T11:00:00Z",
    );
    expect(quarter.body.intervals).toEqual([
      "2021-03-14T10:00:00Z",
      "2021-03-14T10:15:00Z",
      "2021-03-14T10:30:00Z",
      "2021-03-14T10:45:00Z",
    ]);
    expect(quarter.body.groups[0].series["sum(quantity)"]).toEqual([0, 6, 3, 1]);
  });

  test("a range in the future gives one zero group", async () => {
    // A future start is moved back to now.
    const day = 86_400_000;
    const future = `start=${new Date(Date.now() + day).toISOString()}&end=${new Date(Date.now() + 3 * day).toISOString()}`;
    const r = await stats(`field=sum(quantity)&category=error&interval=1d&${future}`);
    expect(r.status).toBe(200);
    expect(r.body.groups).toEqual([
      { by: {}, totals: { "sum(quantity)": 0 }, series: { "sum(quantity)": r.body.intervals.map(() => 0) } },
    ]);
    const grouped = await stats(`field=sum(quantity)&groupBy=outcome&category=error&${future}`);
    expect(grouped.body.groups).toEqual([]);
  });
});

describe("grouping and filters", () => {
  const sumBy = async (groupBy: string[], extra = "") => {
    const r = await stats(
      `field=sum(quantity)&${groupBy.map((g) => `groupBy=${g}`).join("&")}&interval=1d&${RANGE}${extra}`,
    );
    expect(r.status).toBe(200);
    return r.body.groups.map((g: { by: Record<string, string>; totals: Record<string, number> }) => [
      g.by,
      g.totals["sum(quantity)"],
    ]);
  };

  test("category: default and security shown as error; reason as stored, none, spike_protection", async () => {
    expect(await sumBy(["category"], "&outcome=accepted")).toEqual([
      [{ category: "attachment" }, 5000],
      [{ category: "error" }, 10],
      [{ category: "session" }, 40],
    ]);
    expect(await sumBy(["reason"], "&category=error")).toEqual([
      [{ reason: "duplicate" }, 3],
      [{ reason: "none" }, 10],
      [{ reason: "spike_protection" }, 4],
    ]);
    expect(await sumBy(["outcome", "category", "reason"], "&category=error&outcome=invalid")).toEqual([
      [{ outcome: "invalid", category: "error", reason: "duplicate" }, 3],
    ]);
  });

  test("every groupBy combination answers, and sums the same total", async () => {
    const dims = ["outcome", "category", "reason", "project"];
    for (let mask = 1; mask < 16; mask++) {
      const chosen = dims.filter((_, i) => mask & (1 << i));
      const filter = chosen.includes("category") ? "" : "&category=error";
      const r = await stats(
        `field=sum(quantity)&${chosen.map((g) => `groupBy=${g}`).join("&")}&${RANGE}${filter}`,
      );
      expect(r.status).toBe(200);
      const total = r.body.groups.reduce(
        (n: number, g: { totals: Record<string, number> }) => n + (g.totals["sum(quantity)"] ?? 0),
        0,
      );
      expect(total).toBe(chosen.includes("category") ? 5064 : 17);
      for (const g of r.body.groups) expect(Object.keys(g.by).sort()).toEqual([...chosen].sort());
    }
  });

  test("grouping by project has no time series", async () => {
    const r = await stats(`field=sum(quantity)&groupBy=project&category=transaction&${RANGE}`);
    expect(r.body.intervals).toBeUndefined();
    expect(r.body.groups).toEqual([{ by: { project: f.second }, totals: { "sum(quantity)": 7 } }]);
  });

  test("reason filter, spike_protection meaning smart_rate_limit; project filter and -1", async () => {
    expect(await sumBy([], "&category=error&reason=spike_protection")).toEqual([[{}, 4]]);
    expect(await sumBy([], `&category=transaction&project=${f.t.project.id}`)).toEqual([[{}, 0]]);
    expect(await sumBy([], `&category=transaction&project=${f.second}`)).toEqual([[{}, 7]]);
    expect(await sumBy([], "&category=transaction&project=-1")).toEqual([[{}, 7]]);
  });

  test("both fields: attachments are bytes vs files, sessions events vs sessions", async () => {
    const r = await stats(
      `field=sum(quantity)&field=sum(times_seen)&groupBy=category&outcome=accepted&${RANGE}`,
    );
    const totals = Object.fromEntries(r.body.groups.map((g: any) => [g.by.category, g.totals]));
    expect(totals.attachment).toEqual({ "sum(quantity)": 5000, "sum(times_seen)": 2 });
    expect(totals.session).toEqual({ "sum(quantity)": 40, "sum(times_seen)": 3 });
    expect(totals.error).toEqual({ "sum(quantity)": 10, "sum(times_seen)": 4 });
  });
});

describe("access", () => {
  test("unknown slug 404; no credentials 401; another team's caller or a client key 403; another team's project 403", async () => {
    expect((await stats("field=sum(quantity)&category=error", f.t.adminKey, "no-such-team")).status).toBe(
      404,
    );
    const none = await f.roost.call(
      "GET",
      `/api/0/organizations/${f.t.team.slug}/stats_v2/?field=sum(quantity)`,
    );
    expect(none.status).toBe(401);
    expect(none.body.detail).toBeString();
    for (const token of [f.other.adminKey, f.other.token, f.t.clientKey]) {
      const r = await stats("field=sum(quantity)&category=error", token);
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ detail: "You do not have permission to perform this action." });
    }
    const foreign = await stats(`field=sum(quantity)&category=error&project=${f.other.project.id}`);
    expect(foreign.status).toBe(403);
    // A member's JWT and an agent key with org:read only both may read; the trailing slash is optional.
    const reader = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "agent", name: "r", team_id: f.t.team.id, permissions: ["org:read"] },
    });
    expect((await stats(`field=sum(quantity)&category=error&${RANGE}`, reader.body.secret)).status).toBe(200);
    const bare = await f.roost.call(
      "GET",
      `/api/0/organizations/${f.t.team.slug}/stats_v2?field=sum(quantity)&category=error&${RANGE}`,
      { token: f.t.token },
    );
    expect(bare.status).toBe(200);
  });
});

describe("ingest", () => {
  test("end to end: events sent through /v1/ingest appear with their outcome, reason, category and numbers", async () => {
    const p = await f.roost.call("POST", "/v1/projects", {
      token: f.other.token,
      body: {
        team_id: f.other.team.id,
        name: "e2e",
        filters: { levels: ["debug"] },
        quota: { events_per_minute: 6 },
      },
    });
    const app = await f.roost.call("POST", "/v1/apps", {
      token: f.other.token,
      body: { project_id: p.body.id, name: "a", platform: "backend" },
    });
    const key = app.body.client_key.secret;
    const e = (over: Record<string, unknown> = {}) => ({
      client_event_id: crypto.randomUUID(),
      session_id: "s1",
      level: "info",
      message: "m",
      environment: "backend",
      ...over,
    });
    const dup = e({ level: "error" });
    const first = await f.roost.call("POST", "/v1/ingest", {
      token: key,
      body: { events: [e(), dup, { ...dup }, e({ level: "debug" }), e({ level: "nope" })] },
    });
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 1, filtered: 1, rejected: 1 });
    const limited = await f.roost.call("POST", "/v1/ingest", {
      token: key,
      body: { events: [e(), e(), e(), e(), e()] },
    });
    expect(limited.status).toBe(429);
    const r = await f.roost.call(
      "GET",
      `/api/0/organizations/${f.other.team.slug}/stats_v2/?field=sum(quantity)&field=sum(times_seen)&groupBy=outcome&groupBy=reason&groupBy=category&project=${p.body.id}&statsPeriod=1h&interval=1h`,
      { token: f.other.token },
    );
    expect(r.status).toBe(200);
    const seen = r.body.groups.map((g: any) => [
      g.by.outcome,
      g.by.reason,
      g.by.category,
      g.totals["sum(quantity)"],
      g.totals["sum(times_seen)"],
    ]);
    expect(seen).toEqual([
      ["accepted", "none", "error", 2, 2],
      ["accepted", "none", "session", 2, 1],
      ["filtered", "level", "error", 1, 1],
      ["invalid", "duplicate", "error", 1, 1],
      ["invalid", "invalid_level", "error", 1, 1],
      ["rate_limited", "project_quota", "error", 5, 5],
    ]);
  });
});
