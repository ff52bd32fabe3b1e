/**
 * Ingest benchmark (performance.md): batches of 100 events over HTTP from 16 connections for 60 s,
 * each answered after its commit; prints events/s and batch latency percentiles as JSON.
 *
 *   bun run bench/ingest.ts                       # starts its own server on a fresh data directory
 *   bun run bench/ingest.ts --duration 10 --batch 1 --connections 16   # single events
 *   bun run bench/ingest.ts --url http://127.0.0.1:3000 --key owl_client_…  # a running server
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

let url = typeof flags.url === "string" ? flags.url : "";
let key = typeof flags.key === "string" ? flags.key : "";
const dir = url ? null : tempDir("roost-bench-");
const server = dir ? await startServer(dir, { ROOST_LOG_LEVEL: "silent" }) : null;
if (server) {
  url = server.base;
  key = firstRunKeys(server.startup).client;
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
    const body = JSON.stringify({
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
    });
    n++;
    const started = performance.now();
    try {
      const r = await fetch(`${url}/v1/ingest`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
      });
      const reply = (await r.json()) as { accepted?: number };
      if (!counting) continue;
      requests++;
      if (r.status === 200 && reply.accepted === batch) {
        events += batch;
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
      batch,
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
