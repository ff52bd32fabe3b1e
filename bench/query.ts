/**
 * Query benchmark (performance.md): each query of the targets table, many times, against a server
 * on a data directory made by bench/generate.ts; prints p50/p99 per query as JSON.
 *
 *   bun run bench/query.ts --data /tmp/roost-10m --key owl_agent_… [--runs 20] [--warm 5]
 *   bun run bench/query.ts --data /tmp/roost-1m-hot --key … --state hot|sealed|compacted
 *   bun run bench/query.ts --data /tmp/roost-10m --key … --claims 10000
 *
 * `--claims N` first records N identity claims (decision 010) of anonymous ids for existing users
 * (replacing the bench's earlier ones),
 * one of them for the user the `by user` query asks for, as if N users of the data had signed in
 * after browsing anonymously; the server loads them at start. Claims already there stay.
 *
 * `--state` first brings the directory to that state, in order (a load through bench/generate.ts
 * --via import leaves it hot): `sealed` seals every hot event (no compaction), `compacted` seals
 * and then compacts as the storage job does. Run hot, then sealed, then compacted on one copy.
 *
 * Starts its own server on that directory (the rate limit raised so it measures queries, not the
 * bucket) and stops it at the end.
 */
import { parseArgs } from "../src/cli/args";
import { createLogger } from "../src/lib/log";
import { Store } from "../src/store/db";
import { Lake } from "../src/store/lake";
import { migrate } from "../src/store/migrations";
import { startServer, stopServer } from "../tests/support/server";
import { measurer, percentiles, timedGet } from "./http";

const { flags } = parseArgs(process.argv.slice(2));
const dataDir = String(flags.data ?? "");
const key = String(flags.key ?? "");
const runs = Number(flags.runs ?? 20);
const WARM = Number(flags.warm ?? 5);
const state = typeof flags.state === "string" ? flags.state : null;
const claims = Number(flags.claims ?? 0);
if (state && !["hot", "sealed", "compacted"].includes(state))
  throw new Error("--state is hot, sealed or compacted");
if (!dataDir || !key)
  throw new Error("--data <dir> and --key <agent key> are required (bench/generate.ts prints both)");

/** Brings the directory to the state asked for; returns what it holds then. */
async function prepare(): Promise<Record<string, unknown>> {
  const store = await Store.open(dataDir, { threads: 2, memoryLimit: "4GB", readers: 1 });
  try {
    await migrate(store); // a directory of an older Roost: as the server would at start
    const lake = new Lake(store, dataDir, createLogger("silent"));
    const started = performance.now();
    const sealed =
      state === "sealed" || state === "compacted" ? await lake.seal(new Date(Date.now() + 1000)) : null;
    const compacted = state === "compacted" ? await lake.compact(new Date(Date.now() + 3_600_000)) : null;
    if (claims > 0) await addClaims(store, claims);
    const [held] = await store.read<{ hot: number; files: number; lake_rows: number }>(
      "SELECT (SELECT count(*) FROM events) AS hot, count(*) AS files, coalesce(sum(row_count), 0) AS lake_rows FROM lake_files",
    );
    const claimedUsers = (
      await store.read<{ user_id: string }>("SELECT DISTINCT user_id FROM identity_claims")
    ).map((r) => r.user_id);
    return {
      state: state ?? "as found",
      ...held,
      claims: claimedUsers.length,
      claimed_users: claimedUsers,
      sealed_rows: sealed?.rows ?? 0,
      compacted_files: compacted?.filesIn ?? 0,
      prepare_ms: Math.round(performance.now() - started),
    };
  } finally {
    await store.close();
  }
}
/**
 * N claims over the users of the lake's newest files (ids the `by user` query picks from), spread
 * over the projects as the users are, added in one statement.
 */
async function addClaims(store: Store, n: number): Promise<void> {
  const started = performance.now();
  const [files] = await store.read<{ paths: string[] }>(
    "SELECT list(path ORDER BY max_ts DESC)[1:2000] AS paths FROM lake_files",
  );
  await store.write(async (tx) => {
    await tx.run("DELETE FROM identity_claims WHERE starts_with(anonymous_id, 'owl_anon_bench-')");
    await tx.run(
      `INSERT INTO identity_claims
       SELECT project_id, 'owl_anon_bench-' || n, user_id, app_id, now() FROM (
         SELECT project_id::UUID AS project_id, user_id, any_value(app_id) AS app_id,
           row_number() OVER (ORDER BY max(timestamp) DESC) AS n
         FROM read_parquet(?::VARCHAR[], hive_partitioning = true, hive_types = {'project_id': VARCHAR})
         WHERE user_id IS NOT NULL GROUP BY project_id, user_id ORDER BY max(timestamp) DESC LIMIT ?)
       ON CONFLICT DO NOTHING`,
      [(files?.paths ?? []).map((p) => `${dataDir}/${p}`), n],
    );
  });
  const [count] = await store.read<{ n: number }>("SELECT count(*)::INTEGER AS n FROM identity_claims");
  console.error(`claims: ${count?.n} in place (${Math.round(performance.now() - started)} ms to add)`);
}

const held = await prepare();

const server = await startServer(dataDir, {
  ROOST_LOG_LEVEL: "silent",
  ROOST_EVENTS_RATE_BURST: "1000000",
  ROOST_EVENTS_RATE_PER_SECOND: "1000000",
  ROOST_STATS_RATE_PER_SECOND: "1000000",
  ROOST_STORAGE_SCHEDULE: "0 0 1 1 *",
});
const get = timedGet(server.base, key);

// Pick real values to ask for.
const apps = (await get("/v1/apps")).body.apps as { id: string; name: string }[];
const app = apps.find((a) => a.name.startsWith("app-"))!.id;
const sample = (await get(`/v1/events?app_id=${app}&limit=200&data_mode=all`)).body.events as any[];
// A claimed user when there are claims (their filter then takes in the anonymous ids).
const claimed = new Set(held.claimed_users as string[]);
const user = (sample.find((e) => e.user_id && (claimed.size === 0 || claimed.has(e.user_id)))?.user_id ??
  sample.find((e) => e.user_id)?.user_id) as string;
const session = sample[0].session_id as string;
const ids = sample.map((e) => e.id as string);
const day = sample[0].timestamp.slice(0, 10) as string;

const measure = measurer(get, runs, WARM);

const results: Record<string, unknown> = {};
results.newest_page_team = await measure(() => "/v1/events?limit=50");
results.newest_page_app = await measure(() => `/v1/events?app_id=${app}&limit=50`);
results.by_user_history = await measure(
  () => `/v1/events?user_id=${encodeURIComponent(user)}&limit=50&data_mode=all`,
);
results.by_session_history = await measure(
  () => `/v1/events?session_id=${encodeURIComponent(session)}&limit=50&data_mode=all`,
);
// 20 pages deep through the cursor, each page timed.
const pages: number[] = [];
for (let round = 0; round < Math.max(1, Math.floor(runs / 10)); round++) {
  let cursor = "";
  for (let page = 0; page < 20; page++) {
    const r = await get(`/v1/events?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    pages.push(r.ms);
    cursor = r.body.cursor;
  }
}
results.cursor_pages_20_deep = percentiles(pages);
results.count_whole_history = await measure(() => "/v1/events/count?data_mode=all");
results.count_app_day = await measure(
  () => `/v1/events/count?app_id=${app}&since=${day}T00:00:00Z&until=${day}T23:59:59.999Z`,
);
results.get_by_id = await measure((i) => `/v1/events/${ids[i % ids.length]}`);
// The ids above are the newest (their hour's files end early, so the time alone narrows them to one
// or two files); these are one user's events spread over the whole history, where every project's
// file of the hour covers the id's time.
const spread = (
  await get(`/v1/events?user_id=${encodeURIComponent(user)}&limit=200&data_mode=all&order=asc`)
).body.events.map((e: { id: string }) => e.id) as string[];
results.get_by_id_history = await measure((i) => `/v1/events/${spread[(i * 7) % spread.length]}`);
// stats_v2 over the generated rollups (bench/generate.ts writes 90 days ending 2026-10-01). "90 days
// hourly" is 2,160 buckets, past stats.md's 1,000-bucket cap, so: 90 days by day (reading the hourly
// rollup) and 30 days by hour.
const stats =
  "/api/0/organizations/default/stats_v2/?field=sum(quantity)&field=sum(times_seen)&groupBy=outcome&groupBy=category";
results.stats_90d_daily_by_outcome_category = await measure(
  () => `${stats}&interval=1d&start=2026-07-03T00:00:00Z&end=2026-10-01T00:00:00Z`,
);
results.stats_30d_hourly_by_outcome_category = await measure(
  () => `${stats}&interval=1h&start=2026-09-01T00:00:00Z&end=2026-10-01T00:00:00Z`,
);

const rss = Number(
  /VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${server.child.pid}/status`).text())?.[1] ?? 0,
);
await stopServer(server);
console.log(
  JSON.stringify(
    {
      benchmark: "query",
      runs,
      ...held,
      claimed_users: undefined,
      user_claimed: claimed.has(user),
      server_rss_mb: Math.round(rss / 1024),
      results,
    },
    null,
    2,
  ),
);
