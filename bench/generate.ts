/**
 * The benchmark data set of performance.md, seeded so it is the same every time, written straight
 * into a data directory's store and lake (not through HTTP): 20 apps in 4 projects, 90 days, about
 * 40 events per session, about 200k users with a long-tailed activity, four levels (errors rarer),
 * 5 screens, a few custom attributes, 5% dev events, SDK batches of 5 sharing a timestamp.
 *
 *   bun run bench/generate.ts --data /tmp/roost-10m --events 10000000
 *   bun run bench/generate.ts --data /tmp/roost-1m-hot --events 1000000 --via import
 *
 * `--analytics`: Owlmetry's metric and funnel events in realistic shares (decision 012): 5% of
 * events are operations of four metrics (a start and its complete, fail or cancel, paired by
 * tracking id, durations long-tailed and slower in later versions), and one session in ten walks
 * an onboarding funnel (welcome → signup → first-photo → purchase, fewer at each step, more
 * purchases in the `onboarding: b` variant). Left out, the data set is the earlier one.
 *
 * `--via import` sends the same events through a real server's `POST /v1/import` (1,000 a batch,
 * 4 connections, the storage job off), so they end where a user's backfill ends: all hot, nothing
 * sealed. bench/query.ts --state then measures that state, sealed, and compacted.
 *
 * Prints JSON: events, files, bytes per event, seconds. Then start a server on that directory and
 * run bench/query.ts against it.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { firstRun } from "../src/bootstrap";
import { parseArgs } from "../src/cli/args";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { rebuildDerived } from "../src/modules/analytics/derived";
import { createKeyIn } from "../src/modules/keys/service";
import { Store } from "../src/store/db";
import { summarise } from "../src/store/lake";
import { FORMAT_TAG } from "../src/store/lake/format";
import { bumpManifestVersion } from "../src/store/manifest";
import { migrate } from "../src/store/migrations";
import { startServer, stopServer } from "../tests/support/server";
import { createBenchApps } from "./apps";

const { flags } = parseArgs(process.argv.slice(2));
const total = Number(flags.events ?? 1_000_000);
const viaImport = flags.via === "import";
/**
 * `--error-rate 0.05`: that share of events are errors, with messages from a pool of 32 (8 kinds
 * of failure in 4 places), so they group into issues (bench/issues.ts). Left out, the data set is
 * the one every earlier measurement used: 2% errors with the other levels' messages.
 */
const errorRate = flags["error-rate"] === undefined ? null : Number(flags["error-rate"]);
if (errorRate !== null && !(errorRate > 0 && errorRate < 0.1))
  throw new Error("--error-rate is a share below 0.1");
// u(i, k): a deterministic number in [0, 1) from row i and stream k.
const u = (expr: string, k: number) => `((hash(${expr}, ${k}) % 1000000007) / 1000000007.0)`;
const levelSql = (i: string) =>
  `CASE WHEN ${u(i, 8)} < ${errorRate ?? 0.02} THEN 'error' WHEN ${u(i, 8)} < 0.10 THEN 'warn' WHEN ${u(i, 8)} < 0.35 THEN 'debug' ELSE 'info' END`;
const analytics = flags.analytics === true || flags.analytics === "true";
const messageSql = (i: string) => {
  const plain = `['screen_viewed', 'button_tapped', 'request_finished', 'purchase', 'crash'][1 + (hash(${i}, 10) % 5)::INTEGER]`;
  const failure = `['Database is locked', 'Timeout contacting server', 'Decoding failed', 'Out of memory', 'Disk full', 'Permission denied', 'Invalid state', 'Network unreachable'][1 + (hash(${i}, 18) % 8)::INTEGER] || ' in ' || ['sync', 'checkout', 'login', 'upload'][1 + (hash(${i}, 19) % 4)::INTEGER]`;
  const other =
    errorRate === null ? plain : `CASE WHEN ${u(i, 8)} < ${errorRate} THEN ${failure} ELSE ${plain} END`;
  if (!analytics) return other;
  return `CASE WHEN ${METRIC_SLOT} THEN 'metric:' || ${METRIC_SLUG} || ':' || ${METRIC_PHASE}
    WHEN ${STEP_SLOT} THEN 'step:' || ['welcome', 'signup', 'first-photo', 'purchase'][(e - 19) // 5]
    ELSE ${other} END`;
};
/** Of a session's 20 pairs of events (e, e + 1), 5% are an operation: its start, then its end. */
const METRIC_SLOT = "(hash(s, e // 2, 21) % 100 < 5)";
const METRIC_SLUG =
  "['photo-upload', 'sync', 'checkout', 'feed-load'][1 + (hash(s, e // 2, 22) % 4)::INTEGER]";
const METRIC_END = "(hash(s, e // 2, 23) % 100)";
const METRIC_PHASE = `CASE WHEN e % 2 = 0 THEN 'start' WHEN ${METRIC_END} < 85 THEN 'complete' WHEN ${METRIC_END} < 95 THEN 'fail' ELSE 'cancel' END`;
/**
 * One session in ten is a first run: events 24, 29, 34 and 39 (each in its own SDK batch, 15 s
 * apart) are the funnel's steps, each reached by fewer (70%, 45%, then 20% buy, or 30% in variant
 * b of the onboarding experiment).
 */
// hash(s, k) streams share their parity (DuckDB combines the two hashes), so picking these
// sessions with hash(s, 24) % 10 left only variant b (hash(s, 15) % 2) among them: hash one value.
const STEP_SLOT = `(hash(s * 31 + 24000000000) % 10 = 0 AND e IN (24, 29, 34, 39) AND ${u("s * 31 + 25000000000", 25)} < [1.0, 0.7, 0.45,
  CASE WHEN hash(s, 14) % 3 = 0 AND hash(s, 15) % 2 = 1 THEN 0.3 ELSE 0.2 END][(e - 19) // 5])`;
/** An operation's attributes: its tracking id; at its end a duration (ms, long-tailed) and on a fail the error. */
const METRIC_ATTRIBUTES = `map_from_entries(list_filter([
    {'k': 'tracking_id', 'v': list_transform([md5(s || '/' || e // 2)], h -> substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12))[1]},
    {'k': 'duration_ms', 'v': CASE WHEN e % 2 = 1 THEN round((80 + 4000 * pow(${u("i", 27)}, 3)) * (1 + (hash(s, 17) % 10) * 0.04))::BIGINT::VARCHAR END},
    {'k': 'error', 'v': CASE WHEN e % 2 = 1 AND ${METRIC_END} BETWEEN 85 AND 94 THEN ['Timeout', 'Offline', 'Server error'][1 + (hash(i, 28) % 3)::INTEGER] END}
  ], x -> x.v IS NOT NULL))`;
const PLAIN_ATTRIBUTES = `MAP {'plan': ['free', 'pro', 'team'][1 + (hash(s, 12) % 3)::INTEGER], 'build': 'b' || (hash(s, 13) % 40)}`;
const attributesSql = analytics
  ? `CASE WHEN ${METRIC_SLOT} THEN ${METRIC_ATTRIBUTES} ELSE ${PLAIN_ATTRIBUTES} END`
  : PLAIN_ATTRIBUTES;
const dataDir = String(flags.data ?? "");
if (!dataDir) throw new Error("--data <dir> is required (a fresh directory)");
if (existsSync(join(dataDir, "roost.duckdb")))
  throw new Error(`${dataDir} already has a database; give a fresh directory`);

const started = performance.now();
const config = loadConfig({ data: dataDir }, { ROOST_ADMIN_PASSWORD: "bench-password" });
const store = await Store.open(config.dataDir, { ...config.duckdb, memoryLimit: "4GB" });
await migrate(store);
const first = await firstRun(store, config);
if (!first) throw new Error("not a fresh data directory");
const benchApps = await createBenchApps(store);
const apps = benchApps.map((a) => a.id);
const projectByApp = benchApps.map((a) => a.projectId);

const DAYS = 90;
const sessions = Math.ceil(total / 40);
const end = Date.UTC(2026, 9, 1); // fixed, so every run makes the same set
const startMs = end - DAYS * 86_400_000;
const lakeDir = join(config.dataDir, "lake", "events");
const perDay = Math.ceil(sessions / DAYS);
mkdirSync(lakeDir, { recursive: true });

/** One day's events (columns s, e, i, app_index, user_n, session_ms, timestamp), or null past the end. */
function eventsOfDay(day: number): string | null {
  const s0 = day * perDay;
  const s1 = Math.min(sessions, s0 + perDay);
  if (s0 >= s1) return null;
  const rows = `
    SELECT s, e, s * 40 + e AS i,
      floor(${u("s", 1)} * 20)::INTEGER AS app_index,
      -- long tail: a few users have most sessions
      floor(200000 * pow(${u("s", 2)}, 3))::INTEGER AS user_n,
      ${startMs} + (s / ${sessions}.0) * ${DAYS * 86_400_000} + ${u("s", 3)} * 3600000 AS session_ms
    FROM range(${s0}, ${s1}) t(s), range(40) r(e)`;
  return `
    SELECT *,
      make_timestamptz(((session_ms + (e // 5) * 15000 + ${u("s", 4)} * 2000)::BIGINT) * 1000) AS timestamp
    FROM (${rows}) WHERE s * 40 + e < ${total}`;
}

for (let day = 0; day < DAYS && !viaImport; day++) {
  const events = eventsOfDay(day);
  if (!events) break;
  // Ids as ingest makes them (src/lib/ids.ts eventId): the event's time, then its project's hint.
  const sql = `COPY (
    SELECT
      (lpad(printf('%x', epoch_ms(timestamp)), 12, '0')[1:8] || '-' || lpad(printf('%x', epoch_ms(timestamp)), 12, '0')[9:12]
        || '-7' || right(list_extract(?::JSON::VARCHAR[], app_index + 1), 3) || '-8' || lpad(printf('%x', hash(i, 6) % 4096), 3, '0')
        || '-' || lpad(printf('%x', hash(i, 7) % 281474976710656), 12, '0'))::UUID AS id,
      list_extract(?::JSON::UUID[], app_index + 1) AS app_id,
      'ce-' || i AS client_event_id,
      'session-' || s AS session_id,
      'user-' || user_n AS user_id,
      NULL::UUID AS api_key_id,
      ${levelSql("i")} AS level,
      'Module' || (hash(i, 9) % 12) AS source_module,
      ${messageSql("i")} AS message,
      ['Home', 'Search', 'Detail', 'Cart', 'Settings'][1 + (hash(i, 11) % 5)::INTEGER] AS screen_name,
      ${attributesSql} AS custom_attributes,
      CASE WHEN hash(s, 14) % 3 = 0 THEN MAP {'onboarding': ['a', 'b'][1 + (hash(s, 15) % 2)::INTEGER]} END AS experiments,
      'backend' AS environment,
      '17.' || (hash(s, 16) % 5) AS os_version,
      '1.' || (hash(s, 17) % 10) || '.0' AS app_version,
      'owlmetry-node' AS sdk_name, '0.4.0' AS sdk_version, (100 + hash(s, 18) % 50)::VARCHAR AS build_number,
      'server' AS device_model, 'en_US' AS locale,
      ['US', 'DE', 'FR', 'JP', 'BR', NULL][1 + (hash(s, 19) % 6)::INTEGER] AS country_code,
      hash(s, 20) % 20 = 0 AS is_dev,
      timestamp,
      timestamp + INTERVAL 2 SECOND AS received_at,
      NULL::VARCHAR AS kind,
      NULL::VARCHAR AS payload,
      list_extract(?::JSON::VARCHAR[], app_index + 1) AS project_id,
      strftime(timestamp, '%Y-%m-%d') AS date,
      strftime(timestamp, '%H') AS hour
    FROM (${events}) ORDER BY app_id, timestamp, id
  ) TO '${lakeDir}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, PARTITION_BY (project_id, date, hour),
    OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'gen_{uuid}${FORMAT_TAG}')`;
  await store.write((tx) => tx.run(sql, [projectByApp, apps, projectByApp]));
  if (day % 10 === 9)
    console.error(`day ${day + 1}/${DAYS}: ${Math.round((performance.now() - started) / 1000)} s`);
}

// Hourly outcome rollups for the same 90 days, as the storage job writes them (one file a date):
// per project and hour, accepted events by category, sessions, and some filtered, invalid and
// rate-limited rows, so the stats benchmark has realistic groups to sum.
const outcomesDir = join(config.dataDir, "lake", "outcomes");
mkdirSync(outcomesDir, { recursive: true });
await store.write((tx) =>
  tx.run(
    `COPY (
      WITH hours AS (SELECT make_timestamptz(${startMs * 1000}::BIGINT + h * 3600000000) AS hour, h FROM range(${DAYS * 24}) t(h)),
      combos AS (
        SELECT * FROM (VALUES ('accepted', NULL, 'default', 400), ('accepted', NULL, 'error', 12), ('accepted', NULL, 'session', 400),
          ('filtered', 'level', 'default', 30), ('invalid', 'duplicate', 'default', 5), ('invalid', 'invalid_level', 'error', 2),
          ('rate_limited', 'project_quota', 'default', 8), ('client_discard', 'queue_overflow', 'error', 3)) v(outcome, reason, category, base)
      )
      SELECT p.id::UUID AS project_id, NULL::UUID AS key_id, hour, outcome, reason, category,
        (base * (0.5 + (hash(h, p.i, outcome, category) % 1000) / 1000.0))::BIGINT AS quantity,
        CASE WHEN category = 'session' THEN (base / 40)::BIGINT ELSE (base * (0.5 + (hash(h, p.i, outcome, category) % 1000) / 1000.0))::BIGINT END AS times_seen,
        strftime(hour, '%Y-%m-%d') AS date
      FROM hours, combos, (SELECT unnest(?::JSON::VARCHAR[]) AS id, generate_subscripts(?::JSON::VARCHAR[], 1) AS i) p
    ) TO '${outcomesDir}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'gen_{uuid}')`,
    [[...new Set(projectByApp)], [...new Set(projectByApp)]],
  ),
);
await store.write((tx) =>
  tx.run(
    `INSERT INTO lake_outcome_files (path, date, row_count, bytes)
     SELECT substr(filename, length(?) + 2), date::DATE, count(*), 0
     FROM read_parquet(? || '/lake/outcomes/**/*.parquet', filename = true, hive_partitioning = true, hive_types = {'date': VARCHAR})
     GROUP BY filename, date`,
    [config.dataDir, config.dataDir],
  ),
);

if (viaImport) {
  await importEvents();
} else {
  // The manifest: every file written, with its partition and time range.
  await store.write(async (tx) => {
    await bumpManifestVersion(tx);
    await tx.run(
      `INSERT INTO lake_files (path, project_id, hour, row_count, min_ts, max_ts, bytes)
       SELECT substr(filename, length(?) + 2), project_id::UUID, strptime(date || ' ' || hour, '%Y-%m-%d %H')::TIMESTAMPTZ,
         count(*), min(timestamp), max(timestamp), 0
       FROM read_parquet(? || '/lake/events/**/*.parquet', filename = true, hive_partitioning = true,
         hive_types = {'project_id': VARCHAR, 'date': VARCHAR, 'hour': VARCHAR})
       GROUP BY filename, project_id, date, hour`,
      [config.dataDir, config.dataDir],
    );
  });
  // The summaries the storage job writes with each file (counts without opening files).
  const paths = (await store.read<{ path: string }>("SELECT path FROM lake_files")).map((r) => r.path);
  // Each file's size, as the seal records it (the metrics' lake bytes and the object-storage cache's budget).
  await store.run(
    "UPDATE lake_files SET bytes = s.bytes FROM (SELECT unnest(?::JSON::VARCHAR[]) AS path, unnest(?::JSON::BIGINT[]) AS bytes) s WHERE lake_files.path = s.path",
    [paths, paths.map((p) => statSync(join(config.dataDir, p)).size)],
  );
  await store.write((tx) => summarise(tx, config.dataDir, paths));
  // The metric and funnel rows a commit would have written (imports write them themselves).
  await rebuildDerived(store, createLogger("info"));
}
const reopened = viaImport ? await Store.open(config.dataDir, config.duckdb) : store;
const [stats] = await reopened.read<{ files: number; events: number }>(
  "SELECT count(*) AS files, coalesce(sum(row_count), 0) + (SELECT count(*) FROM events) AS events FROM lake_files",
);
const bytes = Number(
  Bun.spawnSync(["du", "-sb", viaImport ? config.dataDir : lakeDir])
    .stdout.toString()
    .split("\t")[0],
);
await reopened.close();
console.log(
  JSON.stringify({
    benchmark: "generate",
    via: viaImport ? "import" : "direct",
    events: stats?.events,
    files: stats?.files,
    bytes_per_event: Math.round((bytes / (stats?.events || 1)) * 10) / 10,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    agent_key: first.agentKey,
    data: config.dataDir,
  }),
);

/**
 * The same events as JSON in Owlmetry's wire shape, made by an in-memory DuckDB and sent through
 * a real server's `POST /v1/import`, one import key per app, 1,000 events a batch, 4 connections;
 * the storage job is off, so everything stays hot. Logs events/s per tenth of days.
 */
async function importEvents(): Promise<void> {
  const keys = await store.write(async (tx) => {
    const out: string[] = [];
    for (const [i, appId] of apps.entries()) {
      const key = await createKeyIn(tx, {
        kind: "import",
        name: `bench import ${i}`,
        teamId: benchApps[0]!.teamId,
        appId,
        createdBy: null,
      });
      out.push(key.secret);
    }
    return out;
  });
  await store.close();
  const server = await startServer(config.dataDir, {
    ROOST_LOG_LEVEL: "silent",
    ROOST_STORAGE_SCHEDULE: "0 0 1 1 *",
    ROOST_ADMIN_PASSWORD: "bench-password",
  });
  const generator = await (await DuckDBInstance.create(":memory:")).connect();
  const send = async (app: number, events: string[]) => {
    const r = await fetch(`${server.base}/v1/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys[app]}`, "content-type": "application/json" },
      body: `{"events":[${events.join(",")}]}`,
    });
    const reply = (await r.json()) as { accepted?: number; updated?: number };
    if (r.status !== 200 || (reply.accepted ?? 0) + (reply.updated ?? 0) !== events.length)
      throw new Error(`import: ${r.status} ${JSON.stringify(reply).slice(0, 300)}`);
  };
  let sent = 0;
  let mark = performance.now();
  for (let day = 0; day < DAYS; day++) {
    const events = eventsOfDay(day);
    if (!events) break;
    const reader = await generator.runAndReadAll(`
      SELECT app_index, to_json({
        client_event_id: 'ce-' || i,
        session_id: 'session-' || s,
        user_id: 'user-' || user_n,
        level: ${levelSql("i")},
        source_module: 'Module' || (hash(i, 9) % 12),
        message: ${messageSql("i")},
        screen_name: ['Home', 'Search', 'Detail', 'Cart', 'Settings'][1 + (hash(i, 11) % 5)::INTEGER],
        custom_attributes: ${attributesSql},
        experiments: CASE WHEN hash(s, 14) % 3 = 0 THEN {onboarding: ['a', 'b'][1 + (hash(s, 15) % 2)::INTEGER]} END,
        environment: 'backend',
        os_version: '17.' || (hash(s, 16) % 5),
        app_version: '1.' || (hash(s, 17) % 10) || '.0',
        sdk_name: 'owlmetry-node', sdk_version: '0.4.0', build_number: (100 + hash(s, 18) % 50)::VARCHAR,
        device_model: 'server', locale: 'en_US',
        is_dev: hash(s, 20) % 20 = 0,
        timestamp: strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%gZ')
      })::VARCHAR AS j
      FROM (${events}) ORDER BY timestamp`);
    const byApp: string[][] = apps.map(() => []);
    for (const [app, json] of reader.getRows() as [number, string][]) byApp[app]?.push(json);
    const batches = byApp.flatMap((events, app) =>
      Array.from({ length: Math.ceil(events.length / 1000) }, (_, b) => ({
        app,
        events: events.slice(b * 1000, b * 1000 + 1000),
      })),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await send(batch.app, batch.events);
          sent += batch.events.length;
        }
      }),
    );
    if (day % 9 === 8) {
      const now = performance.now();
      console.error(
        `day ${day + 1}/${DAYS}: ${sent} events, ${Math.round((sent / (now - mark)) * 1000)} events/s`,
      );
      sent = 0;
      mark = now;
    }
  }
  await stopServer(server);
}
