/**
 * Import benchmark (issue 14): loads events through `POST /v1/import` (or `/v1/ingest`, to compare)
 * in batches of 1,000 spread over the last 30 days, from a few connections, against a fresh server;
 * prints each tenth's events/s and batch latency, so a load that slows down as it goes shows.
 *
 *   bun run bench/import.ts                                   # 300 batches of 1,000 (300k events)
 *   bun run bench/import.ts --events 10000000 --connections 4 # the 10M load
 *   bun run bench/import.ts --path ingest --days 0            # the same batches through /v1/ingest
 *
 * The load runs in this process, on the same 2 cores as the server: the numbers are for both.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "../src/cli/args";
import { firstRunKeys, startServer, stopServer, tempDir } from "../tests/support/server";

const { flags } = parseArgs(process.argv.slice(2));
const num = (name: string, fallback: number) =>
  typeof flags[name] === "string" ? Number(flags[name]) : fallback;
const total = num("events", 300_000);
const batch = num("batch", 1000);
const connections = num("connections", 4);
const days = num("days", 30);
const path = flags.path === "ingest" ? "ingest" : "import";

const dir = tempDir("roost-bench-import-");
const server = await startServer(dir, { ROOST_LOG_LEVEL: "silent" });
const { agent, client } = firstRunKeys(server.startup);
const call = async (method: string, route: string, token: string, body?: unknown) => {
  const r = await fetch(`${server.base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
};
const me = await call("GET", "/v1/auth/me", client);
const appId = me.body.key.app_id as string;
const app = (await call("GET", `/v1/apps/${appId}`, agent)).body;
// The owner signs in to make an import key (the first run's agent key only reads).
const email = /owner\s+(\S+)/.exec(server.startup)?.[1];
const password = /password\s+(\S+)/.exec(server.startup)?.[1];
const login = await fetch(`${server.base}/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, password }),
});
const owner = ((await login.json()) as { token: string }).token;
const created =
  path === "import"
    ? await call("POST", "/v1/keys", owner, { kind: "import", name: "bench", app_id: appId })
    : null;
if (created && created.status !== 201)
  throw new Error(`import key: ${created.status} ${JSON.stringify(created.body)}`);
const key: string = created ? created.body.secret : client;

const batches = Math.ceil(total / batch);
const now = Date.now();
const span = days * 86_400_000;
/** Batch i's events, at times spread over the span (oldest first, as a backfill goes). */
function body(i: number): string {
  const events = Array.from({ length: batch }, (_, j) => {
    const n = i * batch + j;
    return {
      client_event_id: `bench-${n}`,
      session_id: `session-${Math.floor(n / 40)}`,
      user_id: `user-${n % 5000}`,
      level: j % 20 === 0 ? "error" : "info",
      message: "screen_viewed",
      screen_name: "Home",
      environment: "backend",
      app_version: "1.2.0",
      custom_attributes: { plan: "pro" },
      timestamp: new Date(now - span + (span * n) / (batches * batch) - 60_000).toISOString(),
    };
  });
  return JSON.stringify({ bundle_id: app.bundle_id, events });
}

const latencies: number[][] = Array.from({ length: 10 }, () => []);
const finishedAt: number[] = Array.from({ length: 10 }, () => 0);
let next = 0;
let errors = 0;
const started = performance.now();
async function worker() {
  while (next < batches) {
    const i = next++;
    const payload = body(i);
    const t0 = performance.now();
    const r = await fetch(`${server.base}/v1/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: payload,
    });
    const reply = (await r.json()) as { accepted?: number };
    if (r.status !== 200 || reply.accepted !== batch) {
      errors++;
      if (errors <= 3) console.error(r.status, JSON.stringify(reply).slice(0, 300));
    }
    const tenth = Math.min(9, Math.floor((i * 10) / batches));
    latencies[tenth]?.push(performance.now() - t0);
    finishedAt[tenth] = Math.max(finishedAt[tenth] ?? 0, performance.now());
  }
}
await Promise.all(Array.from({ length: connections }, worker));
const seconds = (performance.now() - started) / 1000;
await stopServer(server);
rmSync(dir, { recursive: true, force: true });

const p50 = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
};
let previous = started;
const tenths = latencies.map((xs, i) => {
  const end = finishedAt[i] ?? previous;
  const eventsPerS = Math.round((xs.length * batch) / Math.max(0.001, (end - previous) / 1000));
  previous = end;
  return { tenth: i + 1, batches: xs.length, events_per_s: eventsPerS, batch_ms_p50: p50(xs) };
});
console.log(
  JSON.stringify(
    {
      benchmark: path,
      events: batches * batch,
      batch,
      connections,
      days,
      seconds: Math.round(seconds * 10) / 10,
      events_per_s: Math.round((batches * batch) / seconds),
      last_over_first_tenth_batch_ms:
        Math.round((p50(latencies[9] ?? []) / Math.max(0.1, p50(latencies[0] ?? []))) * 100) / 100,
      errors,
      tenths,
    },
    null,
    2,
  ),
);
