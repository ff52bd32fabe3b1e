import {
  ATTACHMENT_TABLES,
  analyticsDefinitionTables,
  ISSUE_TABLES,
  identityTables,
  notificationTables,
  questionnaireTables,
} from "./shared-tables";

/** One numbered step of the schema, applied once and recorded in `schema_migrations`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The numbered migrations, oldest first. A released migration never changes; add a new one.
 * Uniqueness of slugs among live rows is checked by the services inside the (serialised) write
 * transaction, because soft-deleted rows must not block a new project with the same slug.
 */
export const schema: readonly Migration[] = [
  {
    version: 1,
    name: "model",
    sql: `
CREATE TABLE teams (
  id UUID PRIMARY KEY,
  name VARCHAR NOT NULL,
  slug VARCHAR NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE users (
  id UUID PRIMARY KEY,
  email VARCHAR NOT NULL UNIQUE,
  name VARCHAR NOT NULL,
  password_hash VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE memberships (
  team_id UUID NOT NULL,
  user_id UUID NOT NULL,
  role VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE TABLE projects (
  id UUID PRIMARY KEY,
  team_id UUID NOT NULL,
  name VARCHAR NOT NULL,
  slug VARCHAR NOT NULL,
  retention_days INTEGER NOT NULL DEFAULT 90,
  status VARCHAR NOT NULL DEFAULT 'active',
  filters JSON NOT NULL,
  quota JSON NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ
);
CREATE TABLE apps (
  id UUID PRIMARY KEY,
  project_id UUID NOT NULL,
  name VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  bundle_id VARCHAR,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ
);
CREATE TABLE api_keys (
  id UUID PRIMARY KEY,
  kind VARCHAR NOT NULL,
  team_id UUID NOT NULL,
  app_id UUID,
  name VARCHAR NOT NULL,
  secret_hash VARCHAR NOT NULL UNIQUE,
  prefix VARCHAR NOT NULL,
  permissions VARCHAR[] NOT NULL,
  events_per_minute INTEGER,
  created_by UUID,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
`,
  },
  {
    version: 2,
    name: "ingest",
    sql: `
-- The hot tail of events: no index, so appends stay cheap; the seal step moves rows to Parquet.
-- custom_attributes and experiments are JSON object text here and MAP(VARCHAR, VARCHAR) in Parquet.
CREATE TABLE events (
  id UUID NOT NULL,
  app_id UUID NOT NULL,
  project_id UUID NOT NULL,
  client_event_id VARCHAR NOT NULL,
  session_id VARCHAR NOT NULL,
  user_id VARCHAR,
  api_key_id UUID,
  level VARCHAR NOT NULL,
  source_module VARCHAR,
  message VARCHAR NOT NULL,
  screen_name VARCHAR,
  custom_attributes VARCHAR,
  experiments VARCHAR,
  environment VARCHAR NOT NULL,
  os_version VARCHAR,
  app_version VARCHAR,
  sdk_name VARCHAR,
  sdk_version VARCHAR,
  build_number VARCHAR,
  device_model VARCHAR,
  locale VARCHAR,
  country_code VARCHAR,
  is_dev BOOLEAN NOT NULL,
  timestamp TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ NOT NULL
);
-- Outcome counts per minute, appended in the same transaction as the events they describe.
-- Several rows may share a key; readers sum them, and the rollup job folds them.
CREATE TABLE outcomes_minute (
  project_id UUID NOT NULL,
  key_id UUID,
  minute TIMESTAMPTZ NOT NULL,
  outcome VARCHAR NOT NULL,
  reason VARCHAR,
  category VARCHAR NOT NULL,
  quantity BIGINT NOT NULL,
  times_seen BIGINT NOT NULL
);
-- 64-bit hashes of (app_id, client_event_id) and (app_id, session_id), for dedup and for counting
-- a session once; kept for the dedup window and loaded into memory at start.
CREATE TABLE event_keys (key UBIGINT NOT NULL, seen_at TIMESTAMPTZ NOT NULL);
CREATE TABLE session_keys (key UBIGINT NOT NULL, seen_at TIMESTAMPTZ NOT NULL);
`,
  },
  {
    version: 3,
    name: "lake",
    sql: `
-- The manifest: the live Parquet files. A file is live exactly when its row is here; it is added
-- in the same transaction that deletes its rows from the hot table (seal) or retires the files it
-- replaces (compact). Paths are relative to the data directory.
CREATE TABLE lake_files (
  path VARCHAR PRIMARY KEY,
  project_id UUID NOT NULL,
  hour TIMESTAMPTZ NOT NULL,
  row_count BIGINT NOT NULL,
  min_ts TIMESTAMPTZ NOT NULL,
  max_ts TIMESTAMPTZ NOT NULL,
  bytes BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Files taken out of the manifest by compaction or retention; deleted from disk once no query
-- that started before can still be reading them.
CREATE TABLE lake_retired (
  path VARCHAR NOT NULL,
  retired_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 4,
    name: "outcome rollups",
    sql: `
-- Minute rows already rolled into hourly Parquet: moved here in the rollup's transaction, so a
-- rerun never counts them twice; kept 30 days for sub-hour stats (outcomes_minute ∪ this).
CREATE TABLE outcomes_minute_rolled (
  project_id UUID NOT NULL,
  key_id UUID,
  minute TIMESTAMPTZ NOT NULL,
  outcome VARCHAR NOT NULL,
  reason VARCHAR,
  category VARCHAR NOT NULL,
  quantity BIGINT NOT NULL,
  times_seen BIGINT NOT NULL
);
-- Hourly outcome files under lake/outcomes/date=YYYY-MM-DD/; hourly stats read all of them
-- plus the minute rows not yet rolled.
CREATE TABLE lake_outcome_files (
  path VARCHAR PRIMARY KEY,
  date DATE NOT NULL,
  row_count BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 5,
    name: "lake file summaries",
    sql: `
-- Per live file, written with its manifest row: rows per (app, is_dev), and the 64-bit hashes of
-- its distinct user and session ids, so counts over the whole history open no Parquet file.
CREATE TABLE lake_file_counts (
  path VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  is_dev BOOLEAN NOT NULL,
  row_count BIGINT NOT NULL
);
CREATE TABLE lake_file_keys (
  path VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  is_dev BOOLEAN NOT NULL,
  kind VARCHAR NOT NULL,
  key UBIGINT NOT NULL
);
`,
  },
  {
    version: 6,
    name: "attachments",
    sql: ATTACHMENT_TABLES,
  },
  {
    version: 7,
    name: "lake manifest version",
    sql: `
-- Bumped by every transaction that changes lake_files, so readers may keep the manifest in memory
-- and know, with one tiny read inside their snapshot, whether their copy is the one they see.
-- Starts at the creation time, so a database made anew in the same directory never reuses a number.
CREATE TABLE lake_manifest_version (version BIGINT NOT NULL);
INSERT INTO lake_manifest_version SELECT epoch_ms(now());
`,
  },
  {
    version: 8,
    name: "hourly outcomes table",
    sql: `
-- The hourly outcome rollups as a table too, written in the transaction that writes their file:
-- stats read this (one scan) instead of opening a small Parquet file per rollup run; the files
-- stay, for analysts. Files whose rows are not in it yet (written before it existed) are loaded at
-- start. (Not an ALTER TABLE … ADD COLUMN … DEFAULT: DuckDB 1.5 fails to replay one from the WAL
-- after a kill -9, "GetDefaultDatabase with no default database set".)
CREATE TABLE outcomes_hourly (
  project_id UUID NOT NULL,
  key_id UUID,
  hour TIMESTAMPTZ NOT NULL,
  outcome VARCHAR NOT NULL,
  reason VARCHAR,
  category VARCHAR NOT NULL,
  quantity BIGINT NOT NULL,
  times_seen BIGINT NOT NULL
);
CREATE TABLE outcome_files_loaded (path VARCHAR NOT NULL);
`,
  },
  {
    version: 9,
    name: "sentry ingest",
    sql: `
-- What Sentry's envelopes bring beyond Owlmetry's fields: the item type an event came as (null for
-- Owlmetry events; event, transaction, log, check_in, feedback) and its whole JSON (exception,
-- frames, breadcrumbs, contexts). Lake files written from now on carry both (decision 009).
ALTER TABLE events ADD COLUMN kind VARCHAR;
ALTER TABLE events ADD COLUMN payload VARCHAR;
-- Sentry's SDKs accept only a number as a DSN's project: each project gets one, in creation order.
ALTER TABLE projects ADD COLUMN sentry_id BIGINT;
UPDATE projects SET sentry_id = n.sentry_id
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS sentry_id FROM projects) AS n
WHERE projects.id = n.id;
-- Release health: Sentry SDKs' session updates counted per (app, release, environment, hour,
-- status). status is "started" for a session's first update (init), else its closing status
-- (exited, errored, crashed, abnormal); updates of a running session (ok) are not counted.
-- Several rows may share a key; readers sum them.
CREATE TABLE sentry_sessions (
  project_id UUID NOT NULL,
  app_id UUID NOT NULL,
  release VARCHAR NOT NULL,
  environment VARCHAR,
  hour TIMESTAMPTZ NOT NULL,
  status VARCHAR NOT NULL,
  quantity BIGINT NOT NULL
);
`,
  },
  {
    version: 10,
    name: "identity, app users, feedback",
    sql: identityTables("JSON"),
  },
  {
    version: 11,
    name: "questionnaires",
    sql: questionnaireTables("JSON"),
  },
  {
    version: 12,
    name: "users of files sealed before app users",
    sql: `
-- The lake files sealed before the seal counted users (migration 10): the storage job counts
-- their users into app_users a batch a run, and leaves their partitions uncompacted until then
-- (compaction would mix their rows with counted ones). A fresh data directory has none.
CREATE TABLE users_uncounted_files (path VARCHAR PRIMARY KEY);
INSERT INTO users_uncounted_files SELECT path FROM lake_files;
`,
  },
  {
    version: 13,
    name: "issues",
    sql: ISSUE_TABLES,
  },
  {
    version: 14,
    name: "notifications",
    sql: notificationTables("JSON", "DOUBLE"),
  },
  {
    version: 15,
    name: "metrics_funnels",
    sql: `
${analyticsDefinitionTables("JSON")}-- The metric:<slug>:<phase> and step:<name> events, a narrow row each, written in the commit
-- that stores the event (and rebuilt from the stored events when missing): metric and funnel
-- queries read these, in every state of the lake, instead of scanning every event.
-- attributes and experiments are JSON object text, as in the hot table.
CREATE TABLE metric_events (
  id UUID NOT NULL,
  project_id UUID NOT NULL,
  app_id UUID NOT NULL,
  client_event_id VARCHAR NOT NULL,
  session_id VARCHAR NOT NULL,
  user_id VARCHAR,
  api_key_id UUID,
  slug VARCHAR NOT NULL,
  phase VARCHAR NOT NULL,
  tracking_id VARCHAR,
  duration_ms DOUBLE,
  error VARCHAR,
  attributes VARCHAR,
  experiments VARCHAR,
  environment VARCHAR,
  os_version VARCHAR,
  app_version VARCHAR,
  device_model VARCHAR,
  build_number VARCHAR,
  country_code VARCHAR,
  is_dev BOOLEAN NOT NULL,
  timestamp TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE funnel_events (
  id UUID NOT NULL,
  project_id UUID NOT NULL,
  app_id UUID NOT NULL,
  client_event_id VARCHAR NOT NULL,
  session_id VARCHAR NOT NULL,
  user_id VARCHAR,
  step_name VARCHAR NOT NULL,
  screen_name VARCHAR,
  attributes VARCHAR,
  experiments VARCHAR,
  environment VARCHAR,
  app_version VARCHAR,
  is_dev BOOLEAN NOT NULL,
  timestamp TIMESTAMPTZ NOT NULL
);
-- Which derived tables hold every stored event: a start derives what is missing here.
CREATE TABLE derivations (name VARCHAR PRIMARY KEY, derived_at TIMESTAMPTZ NOT NULL);
`,
  },
  {
    version: 16,
    name: "lake_object_storage",
    sql: `
-- Lake files (events and outcome rollups) copied to object storage (decision 016). A file listed
-- here may be evicted from the local cache: a query fetches it back first. A backup holds every
-- file and none of these rows, so a restored lake uploads again.
CREATE TABLE lake_uploaded (path VARCHAR PRIMARY KEY, uploaded_at TIMESTAMPTZ NOT NULL);
`,
  },
];
