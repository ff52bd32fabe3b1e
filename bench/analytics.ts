/**
 * Metrics and funnels at scale (issue 18): over a directory made with `--analytics`, the metric
 * query over the whole 90 days (plain, per version, as a daily series), every metric's overview,
 * a metric's events page, and a funnel over 30 days of one app (open, closed, per experiment
 * variant); over HTTP, p50 and p99 ms after warm-ups.
 *
 *   bun run bench/generate.ts --data /tmp/roost-10m-an --events 10000000 --analytics
 *   bun run bench/analytics.ts --data /tmp/roost-10m-an [--runs 20]
 */
import { parseArgs } from "../src/cli/args";
import { Store } from "../src/store/db";
import { migrate } from "../src/store/migrations";
import { startServer, stopServer } from "../tests/support/server";
import { measurer, timedGet } from "./http";
import { benchAgentKey } from "./keys";

const { flags } = parseArgs(process.argv.slice(2));
const dataDir = String(flags.data ?? "");
const runs = Number(flags.runs ?? 20);
const WARM = 5;
if (!dataDir) throw new Error("--data <dir> is required (bench/generate.ts --analytics makes one)");

// bench/generate.ts's fixed 90 days end here.
const END = "2026-10-01T00:00:00Z";
const MONTHS = `since=2026-07-03T00:00:00Z&until=${END}`;
const MONTH = `since=2026-09-01T00:00:00Z&until=${END}`;

const store = await Store.open(dataDir, { threads: 2, memoryLimit: "4GB", readers: 1 });
let key: string;
try {
  await migrate(store);
  key = await benchAgentKey(store, "bench analytics");
} finally {
  await store.close();
}

const started = performance.now();
const server = await startServer(dataDir, {
  ROOST_LOG_LEVEL: "silent",
  ROOST_EVENTS_RATE_BURST: "1000000",
  ROOST_EVENTS_RATE_PER_SECOND: "1000000",
  ROOST_STORAGE_SCHEDULE: "0 0 1 1 *",
});
const startMs = Math.round(performance.now() - started);
const get = timedGet(server.base, key);
const measure = measurer(get, runs, WARM);

// The busiest project and its busiest app.
const stats = (await get(`/v1/metric-stats?${MONTHS}`)).body.stats as Array<{
  project_id: string;
  complete_count: number;
}>;
const projectId = [...stats].sort((a, b) => b.complete_count - a.complete_count)[0]!.project_id;
const apps = (await get(`/v1/apps?project_id=${projectId}`)).body.apps as Array<{ id: string }>;
const appId = apps[0]!.id;
const funnel = await fetch(`${server.base}/v1/projects/${projectId}/funnels`, {
  method: "POST",
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
  body: JSON.stringify({
    name: "Onboarding",
    slug: `onboarding-${Date.now()}`,
    steps: ["welcome", "signup", "first-photo", "purchase"].map((s) => ({
      name: s,
      event_filter: { step_name: s },
    })),
  }),
});
const slug = ((await funnel.json()) as { slug: string }).slug;
const metric = `/v1/projects/${projectId}/metrics/photo-upload`;
const funnelPath = `/v1/projects/${projectId}/funnels/${slug}/query?${MONTH}&app_id=${appId}`;

const results: Record<string, unknown> = {};
results.metric_query_90_days = await measure(() => `${metric}/query?${MONTHS}`);
results.metric_per_version_90_days = await measure(() => `${metric}/query?${MONTHS}&group_by=app_version`);
results.metric_daily_series_90_days = await measure(() => `${metric}/query?${MONTHS}&group_by=time:day`);
results.metric_one_app_30_days = await measure(() => `${metric}/query?${MONTH}&app_id=${appId}`);
results.metrics_overview = await measure(() => `/v1/projects/${projectId}/metric-stats?${MONTHS}`);
results.metric_events_page = await measure(() => `${metric}/events?limit=50`);
results.funnel_30_days_open = await measure(() => funnelPath);
results.funnel_30_days_closed = await measure(() => `${funnelPath}&mode=closed`);
results.funnel_30_days_by_variant = await measure(
  () => `${funnelPath}&mode=closed&group_by=experiment:onboarding`,
);
const sample = (await get(`${metric}/query?${MONTHS}`)).body.aggregation;
const conversion = (await get(`${funnelPath}&mode=closed&group_by=experiment:onboarding`)).body.analytics;
const rss = Number(
  /VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${server.child.pid}/status`).text())?.[1] ?? 0,
);
await stopServer(server);
console.log(
  JSON.stringify(
    {
      benchmark: "analytics",
      runs,
      server_start_ms: startMs,
      metric_rows: sample.total_count,
      metric_p95_ms: sample.duration_p95_ms,
      funnel_users: conversion.steps.map((s: { unique_users: number }) => s.unique_users),
      funnel_variants: conversion.breakdown?.map(
        (g: { value: string; steps: Array<{ unique_users: number }> }) => [
          g.value,
          g.steps.map((s) => s.unique_users),
        ],
      ),
      server_rss_mb: Math.round(rss / 1024),
      results,
    },
    null,
    2,
  ),
);
