/**
 * Metrics and funnels over HTTP on any Roost (decision 017's comparison): sends the same events to
 * a single Roost it starts (or to `--url`, a cluster's proxy, with its first-run keys), 100,000
 * by default, of which four in five are metric events (one metric's start, complete and fail,
 * with tracking ids and durations) and one in five funnel steps (four steps, 5,000 users), over
 * the last seven days; then times a metric query, its daily series, a funnel open and closed.
 * Prints p50 and p99 ms as JSON.
 *
 *   bun run bench/analytics-http.ts [--events 100000] [--runs 20]
 *   bun run bench/analytics-http.ts --url http://127.0.0.1:27000 --client owl_client_… --agent owl_agent_…
 *
 * On a cluster the agent key needs funnels:write (`roost keys create --kind agent --permissions …`).
 */
import { parseArgs } from "../src/cli/args";
import { Store } from "../src/store/db";
import { migrate } from "../src/store/migrations";
import { firstRunKeys, startServer, stopServer, tempDir } from "../tests/support/server";
import { measurer, timedGet } from "./http";
import { benchAgentKey } from "./keys";

const { flags } = parseArgs(process.argv.slice(2));
const total = Number(flags.events ?? 100_000);
const runs = Number(flags.runs ?? 20);
const WARM = 3;
const BATCH = 500;
const DAY = 86_400_000;

let url = typeof flags.url === "string" ? flags.url : "";
let client = typeof flags.client === "string" ? flags.client : "";
let agent = typeof flags.agent === "string" ? flags.agent : "";
const dir = url ? null : tempDir("roost-an-http-");
const env = {
  ROOST_LOG_LEVEL: "silent",
  ROOST_EVENTS_RATE_BURST: "1000000",
  ROOST_EVENTS_RATE_PER_SECOND: "1000000",
};
let server: Awaited<ReturnType<typeof startServer>> | null = null;
if (dir) {
  // The first run's client key sends; an agent key with every permission (funnels:write too)
  // reads, made in the stopped store as bench/analytics.ts makes its own.
  const first = await startServer(dir, env);
  client = firstRunKeys(first.startup).client;
  await stopServer(first);
  const store = await Store.open(dir, { threads: 2, memoryLimit: "2GB", readers: 1 });
  try {
    await migrate(store);
    agent = await benchAgentKey(store, "bench analytics over HTTP");
  } finally {
    await store.close();
  }
  server = await startServer(dir, env);
  url = server.base;
}
const auth = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
const projectId = (
  (await (await fetch(`${url}/v1/projects`, { headers: auth(agent) })).json()) as {
    projects: { id: string }[];
  }
).projects[0]?.id as string;

const now = Date.now();
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
/** Event n: a metric's start, its end (complete or, one in ten, fail), or a funnel step. */
function event(n: number) {
  const user = `user-${n % 5000}`;
  const at = new Date(now - ((n * 7919) % (7 * DAY))).toISOString();
  const base = {
    client_event_id: `an-${n}`,
    session_id: `s-${n % 20000}`,
    user_id: user,
    level: "info",
    environment: "backend",
    timestamp: at,
  };
  if (n % 5 === 4) return { ...base, message: `step:${["open", "browse", "cart", "pay"][n % 4]}` };
  const op = Math.floor(n / 2);
  if (n % 2 === 0)
    return { ...base, message: "metric:upload:start", custom_attributes: { tracking_id: uuid(op) } };
  const failed = op % 10 === 0;
  return {
    ...base,
    message: `metric:upload:${failed ? "fail" : "complete"}`,
    custom_attributes: {
      tracking_id: uuid(op),
      duration_ms: String(50 + ((op * 31) % 2000)),
      ...(failed ? { error: "Timeout" } : {}),
    },
  };
}

const sentAt = performance.now();
for (let i = 0; i < total; i += BATCH) {
  const events = Array.from({ length: Math.min(BATCH, total - i) }, (_, k) => event(i + k));
  const r = await fetch(`${url}/v1/ingest`, {
    method: "POST",
    headers: auth(client),
    body: JSON.stringify({ events }),
  });
  const body = (await r.json()) as { accepted?: number };
  if (r.status !== 200 || body.accepted !== events.length)
    throw new Error(`ingest answered ${r.status}: ${JSON.stringify(body)}`);
}
const sendMs = Math.round(performance.now() - sentAt);

const steps = ["open", "browse", "cart", "pay"].map((s) => ({ name: s, event_filter: { step_name: s } }));
const created = await fetch(`${url}/v1/projects/${projectId}/funnels`, {
  method: "POST",
  headers: auth(agent),
  body: JSON.stringify({ name: "Checkout", slug: "checkout", steps }),
});
if (created.status !== 201) throw new Error(`funnel: ${created.status} ${await created.text()}`);

const week = `since=${new Date(now - 7 * DAY - 60_000).toISOString()}`;
const queries: Record<string, string> = {
  metric_query_7_days: `/v1/projects/${projectId}/metrics/upload/query?${week}`,
  metric_daily_series: `/v1/projects/${projectId}/metrics/upload/query?${week}&group_by=time:day`,
  funnel_open: `/v1/projects/${projectId}/funnels/checkout/query?${week}`,
  funnel_closed: `/v1/projects/${projectId}/funnels/checkout/query?${week}&mode=closed`,
};
const get = timedGet(url, agent);
const measure = measurer(get, runs, WARM);
const results: Record<string, { p50: number; p99: number; n: number }> = {};
for (const [name, path] of Object.entries(queries)) results[name] = await measure(() => path);
const check = (await get(queries.metric_query_7_days as string)).body;
if (server) await stopServer(server);
console.log(
  JSON.stringify(
    {
      benchmark: "analytics-http",
      target: server ? "single Roost" : url,
      events: total,
      send_ms: sendMs,
      metric_total: check.aggregation?.total_count ?? null,
      results,
    },
    null,
    2,
  ),
);
