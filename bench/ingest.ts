/**
 * Ingest benchmark (performance.md): batches of 100 events over HTTP from 16 connections for 60 s,
 * each answered after its commit; prints events/s and batch latency percentiles as JSON.
 *
 *   bun run bench/ingest.ts                       # starts its own server on a fresh data directory
 *   bun run bench/ingest.ts --duration 10 --batch 1 --connections 16   # single events
 *   bun run bench/ingest.ts --url http://127.0.0.1:3000 --key owl_client_…  # a running server
 *   bun run bench/ingest.ts --protocol sentry-errors   # Sentry envelopes of one error event each
 *   bun run bench/ingest.ts --protocol sentry-logs     # Sentry envelopes of --batch log items
 *
 * The load runs in this process, on the same 2 cores as the server: the numbers are for both.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "../src/cli/args";
import { firstRunKeys, startServer, stopServer, tempDir } from "../tests/support/server";

const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, fallback: number) =>
  typeof flags[name] === "string" ? Number(flags[name]) : fallback;
const duration = num("duration", 60) * 1000;
const connections = num("connections", 16);
const batch = num("batch", 100);
const warmup = num("warmup", 3) * 1000;
const protocol = typeof flags.protocol === "string" ? flags.protocol : "owlmetry";
if (!["owlmetry", "sentry-errors", "sentry-logs"].includes(protocol))
  throw new Error("--protocol is owlmetry, sentry-errors or sentry-logs");
/** Events one request carries. */
const perRequest = protocol === "sentry-errors" ? 1 : batch;

let url = typeof flags.url === "string" ? flags.url : "";
let key = typeof flags.key === "string" ? flags.key : "";
const dir = url ? null : tempDir("roost-bench-");
const server = dir ? await startServer(dir, { ROOST_LOG_LEVEL: "silent" }) : null;
let sentryId = 1;
if (server) {
  url = server.base;
  const keys = firstRunKeys(server.startup);
  key = keys.client;
  const r = await fetch(`${url}/v1/projects`, { headers: { authorization: `Bearer ${keys.agent}` } });
  sentryId = ((await r.json()) as { projects: Array<{ sentry_id: number }> }).projects[0]?.sentry_id ?? 1;
}

/** An error as `@sentry/node` sends it: exception, a few frames with context, contexts, tags. */
function sentryError(id: string, n: number) {
  return {
    event_id: id,
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    environment: "production",
    release: "shop@1.2.0+120",
    server_name: "api-1",
    user: { id: `user-${n % 5000}` },
    tags: { route: "/checkout", region: "eu" },
    contexts: {
      os: { name: "Linux", version: "6.1.0" },
      runtime: { name: "node", version: "v20.20.2" },
      trace: { trace_id: id, span_id: id.slice(0, 16) },
    },
    exception: {
      values: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'total')",
          stacktrace: {
            frames: Array.from({ length: 8 }, (_, f) => ({
              filename: `/app/src/checkout/step${f}.js`,
              module: `checkout.step${f}`,
              function: `handleStep${f}`,
              lineno: 10 + f,
              colno: 5,
              in_app: f > 3,
              context_line: "  const total = cart.summary.total;",
            })),
          },
        },
      ],
    },
  };
}

/** One request's path and body: an Owlmetry batch, or a Sentry envelope. */
function request(prefix: string, n: number): { path: string; headers: Record<string, string>; body: string } {
  if (protocol === "owlmetry") {
    return {
      path: "/v1/ingest",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        events: Array.from({ length: batch }, (_, i) => ({
          client_event_id: `${prefix}-${n}-${i}`,
          session_id: `${prefix}-${n % 50}`,
          user_id: `user-${(n * 7 + i) % 5000}`,
          level: i % 20 === 0 ? "error" : "info",
          message: "screen_viewed",
          screen_name: "Home",
          environment: "backend",
          app_version: "1.2.0",
          custom_attributes: { plan: "pro", step: String(i % 5) },
        })),
      }),
    };
  }
  const path = `/api/${sentryId}/envelope/?sentry_version=7&sentry_key=${key}&sentry_client=bench/1.0`;
  const header = JSON.stringify({
    sent_at: new Date().toISOString(),
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
  });
  if (protocol === "sentry-errors") {
    const id = Bun.randomUUIDv7().replaceAll("-", "");
    return { path, headers: {}, body: `${header}\n{"type":"event"}\n${JSON.stringify(sentryError(id, n))}` };
  }
  const items = Array.from({ length: batch }, (_, i) => ({
    timestamp: Date.now() / 1000,
    level: i % 20 === 0 ? "warn" : "info",
    body: `checkout step ${i % 5} finished`,
    trace_id: `${prefix}${n}`.padEnd(32, "0"),
    attributes: {
      "sentry.release": { value: "shop@1.2.0+120", type: "string" },
      "sentry.environment": { value: "production", type: "string" },
      step: { value: i % 5, type: "integer" },
    },
  }));
  return {
    path,
    headers: {},
    body: `${header}\n{"type":"log","item_count":${batch},"content_type":"application/vnd.sentry.items.log+json"}\n${JSON.stringify({ items })}`,
  };
}

const latencies: number[] = [];
let events = 0;
let requests = 0;
let errors = 0;
let counting = false;
let peakRss = 0;
const sampler = setInterval(() => {
  if (!server) return;
  const status = Bun.file(`/proc/${server.child.pid}/status`);
  void status.text().then(
    (s) => {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      peakRss = Math.max(peakRss, kb * 1024);
    },
    () => {},
  );
}, 500);

async function worker(id: number, until: number) {
  let n = 0;
  const prefix = `${id}-${crypto.randomUUID().slice(0, 8)}`;
  while (performance.now() < until) {
    const { path, headers, body } = request(prefix, n);
    n++;
    const started = performance.now();
    try {
      const r = await fetch(`${url}${path}`, { method: "POST", headers, body });
      const reply = (await r.json()) as { accepted?: number };
      if (!counting) continue;
      requests++;
      const ok = protocol === "owlmetry" ? r.status === 200 && reply.accepted === batch : r.status === 200;
      if (ok) {
        events += perRequest;
        latencies.push(performance.now() - started);
      } else errors++;
    } catch {
      if (counting) errors++;
    }
  }
}

const start = performance.now();
const end = start + warmup + duration;
setTimeout(() => {
  counting = true;
}, warmup);
await Promise.all(Array.from({ length: connections }, (_, i) => worker(i, end)));
clearInterval(sampler);
const seconds = duration / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round(
    (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 10,
  ) / 10;

if (server && dir) {
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  JSON.stringify(
    {
      benchmark: "ingest",
      protocol,
      events_per_request: perRequest,
      connections,
      duration_s: seconds,
      events_per_s: Math.round(events / seconds),
      requests_per_s: Math.round(requests / seconds),
      latency_ms: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
      errors,
      server_peak_rss_mb: server ? Math.round(peakRss / 1024 / 1024) : null,
    },
    null,
    2,
  ),
);
