import type { Migration } from "../schema";

/**
 * The event store's migrations on ClickHouse (decision 017), in the dialect 18.16 and current
 * servers both accept: each runs on every shard (the local tables, and the Distributed tables
 * over them), and is recorded there in `schema_migrations`. `{cluster}` is the configured
 * `remote_servers` cluster, checked to be an identifier.
 *
 * Times are epoch milliseconds in Int64 (18.16 has no DateTime64); a day partition is computed
 * from them. Attributes and experiments are JSON object text as in the embedded hot table (18.16
 * has no Map, and no API filter reads inside them).
 */
export const eventStore: readonly Migration[] = [
  {
    version: 1,
    name: "events and outcomes",
    sql: `
CREATE TABLE IF NOT EXISTS events_local (
  id UUID,
  project_id UUID,
  app_id UUID,
  client_event_id String,
  session_id String,
  user_id Nullable(String),
  api_key_id Nullable(String),
  level String,
  source_module Nullable(String),
  message String,
  screen_name Nullable(String),
  custom_attributes Nullable(String),
  experiments Nullable(String),
  environment String,
  os_version Nullable(String),
  app_version Nullable(String),
  sdk_name Nullable(String),
  sdk_version Nullable(String),
  build_number Nullable(String),
  device_model Nullable(String),
  locale Nullable(String),
  country_code Nullable(String),
  is_dev UInt8,
  ts Int64,
  received_ms Int64,
  kind Nullable(String),
  payload Nullable(String)
) ENGINE = MergeTree
PARTITION BY toDate(toDateTime(intDiv(ts, 1000)))
ORDER BY (project_id, app_id, ts, id);
CREATE TABLE IF NOT EXISTS events AS events_local
ENGINE = Distributed({cluster}, default, events_local, cityHash64(toString(id)));
CREATE TABLE IF NOT EXISTS outcomes_local (
  project_id UUID,
  key_id String,
  minute DateTime,
  outcome String,
  reason String,
  category String,
  quantity UInt64,
  times_seen UInt64
) ENGINE = SummingMergeTree((quantity, times_seen))
PARTITION BY toDate(minute)
ORDER BY (project_id, minute, outcome, category, reason, key_id);
CREATE TABLE IF NOT EXISTS outcomes AS outcomes_local
ENGINE = Distributed({cluster}, default, outcomes_local, cityHash64(toString(project_id)));
`,
  },
  {
    version: 2,
    name: "release health sessions",
    // Sentry's session counts per (app, release, environment, hour, status), summed as they merge.
    // An environment Sentry left out is '' (18.16 keeps Nullable columns out of a sorting key).
    sql: `
CREATE TABLE IF NOT EXISTS sentry_sessions_local (
  project_id UUID,
  app_id UUID,
  release String,
  environment String,
  hour DateTime,
  status String,
  quantity UInt64
) ENGINE = SummingMergeTree((quantity))
PARTITION BY toDate(hour)
ORDER BY (project_id, app_id, hour, release, environment, status);
CREATE TABLE IF NOT EXISTS sentry_sessions AS sentry_sessions_local
ENGINE = Distributed({cluster}, default, sentry_sessions_local, cityHash64(toString(app_id)));
`,
  },
  {
    version: 3,
    name: "metric and step columns",
    // Owlmetry's metric:<slug>:<phase> and step:<name> events (decision 012) as columns of the
    // event's own row, filled as it is inserted (analytics/derive.ts): no second table to keep in
    // step with the events through a failed round, a node's death or an import's replacement.
    // 18.16 has no ADD COLUMN IF NOT EXISTS: a column that exists counts as added (migrations.ts).
    sql: `
ALTER TABLE events_local
  ADD COLUMN metric_slug Nullable(String), ADD COLUMN metric_phase Nullable(String),
  ADD COLUMN tracking_id Nullable(String), ADD COLUMN duration_ms Nullable(Float64),
  ADD COLUMN metric_error Nullable(String), ADD COLUMN step_name Nullable(String);
ALTER TABLE events
  ADD COLUMN metric_slug Nullable(String), ADD COLUMN metric_phase Nullable(String),
  ADD COLUMN tracking_id Nullable(String), ADD COLUMN duration_ms Nullable(Float64),
  ADD COLUMN metric_error Nullable(String), ADD COLUMN step_name Nullable(String);
`,
  },
];
