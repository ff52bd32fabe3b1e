import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { rebuildDerived } from "../../src/modules/analytics/derived";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { random } from "../support/random";

/**
 * Random metric and step events (and plain ones), then the metric and funnel APIs against a
 * straightforward recomputation here from the events API's rows: hot, after an import rewrote some
 * of them, sealed, compacted, after an import rewrote sealed ones, and after the derived tables
 * were rebuilt from the lake.
 */
let roost: Roost;
let t: Tenant;
let importKey: string;
beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Diff");
  importKey = (
    await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "import", name: "i", app_id: t.app.id },
    })
  ).body.secret;
});
afterAll(() => roost.close());

const SEED = 18_2026;
const rand = random(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const T0 = Date.now() - 3 * 86_400_000;
const SLUGS = ["upload", "sync"];
const PHASES = ["start", "complete", "fail", "cancel", "record"];
const STEP_NAMES = ["open", "browse", "cart", "pay"];
const VERSIONS = ["1.0", "1.1", "2.0"];
const USERS = Array.from({ length: 25 }, (_, i) => `user-${i}`);
const FUNNEL = ["open", "cart", "pay"];

function makeEvents(count: number) {
  const events: Record<string, any>[] = [];
  for (let i = 0; i < count; i++) {
    const user = pick(USERS);
    const kind = rand();
    const base = {
      client_event_id: `d-${i}`,
      session_id: `s-${user}-${Math.floor(rand() * 3)}`,
      user_id: user,
      level: "info",
      environment: pick(["ios", "ipados"]),
      app_version: pick(VERSIONS),
      is_dev: rand() < 0.1,
      experiments: { layout: user.endsWith("1") || user.endsWith("3") ? "grid" : "list" },
      timestamp: new Date(T0 + Math.floor(rand() * 2 * 86_400_000)).toISOString(),
    };
    if (kind < 0.45) {
      const attrs: Record<string, string> = { tracking_id: crypto.randomUUID() };
      if (rand() < 0.8) attrs.duration_ms = String(Math.floor(rand() * 5000) / (rand() < 0.3 ? 10 : 1));
      if (rand() < 0.3) attrs.error = pick(["Timeout", "Offline", "Denied"]);
      events.push({ ...base, message: `metric:${pick(SLUGS)}:${pick(PHASES)}`, custom_attributes: attrs });
    } else if (kind < 0.85) {
      events.push({ ...base, message: `step:${pick(STEP_NAMES)}` });
    } else events.push({ ...base, message: "plain event" });
  }
  return events;
}

/** Every stored event through the events API. */
async function storedEvents() {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?project_id=${t.project.id}&data_mode=all&limit=200${cursor ? `&cursor=${cursor}` : ""}`;
    const page: any = await roost.call("GET", q, { token: t.token });
    all.push(...page.body.events);
    cursor = page.body.cursor;
  } while (cursor);
  return all;
}

/** Linear interpolation between closest ranks, as DuckDB's quantile_cont. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}
const r2 = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);

function recomputeMetric(events: any[], slug: string) {
  const rows = events.filter((e) => !e.is_dev && e.message.startsWith(`metric:${slug}:`));
  const phase = (p: string) => rows.filter((e) => e.message.endsWith(`:${p}`)).length;
  const durations = rows
    .map((e) => e.custom_attributes?.duration_ms)
    .filter((d) => d !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const complete = phase("complete");
  const fail = phase("fail");
  const errors = new Map<string, number>();
  for (const e of rows)
    if (e.message.endsWith(":fail") && e.custom_attributes?.error)
      errors.set(e.custom_attributes.error, (errors.get(e.custom_attributes.error) ?? 0) + 1);
  return {
    total_count: rows.length,
    start_count: phase("start"),
    complete_count: complete,
    fail_count: fail,
    cancel_count: phase("cancel"),
    record_count: phase("record"),
    success_rate: complete + fail > 0 ? r2((complete / (complete + fail)) * 100) : null,
    duration_avg_ms: durations.length ? r2(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
    duration_min_ms: durations[0] ?? null,
    duration_p50_ms: r2(quantile(durations, 0.5)),
    duration_p90_ms: r2(quantile(durations, 0.9)),
    duration_p95_ms: r2(quantile(durations, 0.95)),
    duration_p99_ms: r2(quantile(durations, 0.99)),
    duration_max_ms: durations.at(-1) ?? null,
    unique_users: new Set(rows.map((e) => e.user_id)).size,
    errors: [...errors].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  };
}

/** Closed and open users per step of FUNNEL, for the events of `keep`. */
function recomputeFunnel(events: any[], keep: (e: any) => boolean = () => true) {
  const times = new Map<string, number[][]>();
  for (const e of events) {
    if (e.is_dev || !e.message.startsWith("step:") || !keep(e)) continue;
    const i = FUNNEL.indexOf(e.message.slice(5));
    if (i < 0) continue;
    const lists = times.get(e.user_id) ?? FUNNEL.map(() => []);
    (lists[i] as number[]).push(Date.parse(e.timestamp));
    times.set(e.user_id, lists);
  }
  const closed = FUNNEL.map(() => 0);
  const open = FUNNEL.map(() => 0);
  for (const lists of times.values()) {
    let previous = Number.NEGATIVE_INFINITY;
    for (const [i, list] of lists.entries()) {
      const next = list.filter((ms) => (i === 0 ? true : ms > previous)).sort((a, b) => a - b)[0];
      if (next === undefined) break;
      closed[i] = (closed[i] as number) + 1;
      previous = next;
    }
    const furthest = Math.max(...lists.map((l, i) => (l.length > 0 ? i : -1)));
    for (let i = 0; i <= furthest; i++) open[i] = (open[i] as number) + 1;
  }
  return { closed, open };
}

/** Imports new copies of `events`: metrics become steps and the other way round. */
async function rewrite(events: Record<string, any>[]) {
  const copies = events.map((e, i) =>
    i % 2 === 0
      ? { ...e, message: "step:pay", custom_attributes: undefined }
      : { ...e, message: "metric:sync:complete", custom_attributes: { duration_ms: String(i * 7) } },
  );
  const imp = await roost.call("POST", "/v1/import", {
    token: importKey,
    body: { bundle_id: t.app.bundle_id, events: copies },
  });
  expect(imp.body).toMatchObject({ accepted: 0, updated: events.length });
}

async function metricApi(slug: string) {
  const r = await roost.call("GET", `/v1/projects/${t.project.id}/metrics/${slug}/query?since=7d`, {
    token: t.token,
  });
  const { error_breakdown, abandoned_count: _, ...rest } = r.body.aggregation;
  return { ...rest, errors: error_breakdown.map((e: any) => [e.error, e.count]) };
}

async function funnelApi(mode: string, q = "") {
  const r = await roost.call(
    "GET",
    `/v1/projects/${t.project.id}/funnels/checkout/query?since=7d&mode=${mode}${q}`,
    {
      token: t.token,
    },
  );
  expect(r.status).toBe(200);
  return r.body.analytics;
}
const users = (a: any) => a.steps.map((s: any) => s.unique_users);

async function compare() {
  const events = await storedEvents();
  for (const slug of SLUGS) expect(await metricApi(slug)).toEqual(recomputeMetric(events, slug));
  const all = recomputeFunnel(events);
  expect(users(await funnelApi("closed"))).toEqual(all.closed);
  expect(users(await funnelApi("open"))).toEqual(all.open);
  const grouped = await funnelApi("closed", "&group_by=experiment:layout");
  for (const g of grouped.breakdown)
    expect(users(g)).toEqual(recomputeFunnel(events, (e) => e.experiments?.layout === g.value).closed);
  expect(grouped.breakdown.map((g: any) => g.value).sort()).toEqual(["grid", "list"]);
  return events.length;
}

describe(`metrics and funnels against a recomputation (seed ${SEED})`, () => {
  test("hot, after imports rewrote hot and sealed events, sealed, compacted, and after a rebuild from the lake", async () => {
    const events = makeEvents(1200);
    for (let i = 0; i < events.length; i += 100) {
      const r = await roost.call("POST", "/v1/ingest", {
        token: t.clientKey,
        body: { bundle_id: t.app.bundle_id, events: events.slice(i, i + 100) },
      });
      expect(r.body.accepted).toBe(100);
    }
    const created = await roost.call("POST", `/v1/projects/${t.project.id}/funnels`, {
      token: t.token,
      body: {
        name: "Checkout",
        slug: "checkout",
        steps: FUNNEL.map((s) => ({ name: s, event_filter: { step_name: s } })),
      },
    });
    expect(created.status).toBe(201);
    expect(await compare()).toBe(1200);

    // An import rewrites 50 hot events (metrics become steps and the other way round, durations
    // change): their old rows go, the new ones count.
    await rewrite(events.slice(0, 50));
    expect(await compare()).toBe(1200);

    const lake = new Lake(roost.store, roost.dir, createLogger("silent"));
    await lake.seal(new Date(Date.now() + 1000));
    await compare();
    await lake.compact(new Date(Date.now() + 3_600_000));
    await compare();
    // And 50 sealed ones: their lake files are written again without the old copies.
    await rewrite(events.slice(100, 150));
    expect(await compare()).toBe(1200);

    // The derived tables rebuilt from what is stored (the lake's maps, the hot rows' JSON).
    await rebuildDerived(roost.store, createLogger("silent"));
    expect(await compare()).toBe(1200);
  }, 60_000);
});
