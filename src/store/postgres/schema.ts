import type { Migration } from "../schema";
import {
  ATTACHMENT_TABLES,
  analyticsDefinitionTables,
  ISSUE_TABLES,
  identityTables,
  notificationTables,
  questionnaireTables,
} from "../shared-tables";

/**
 * The control plane's migrations on PostgreSQL (ROOST_STORE=clickhouse, decision 017), numbered and
 * recorded in `schema_migrations` as the embedded store's are. The tables are the embedded
 * store's model with PostgreSQL's types (JSON kept as text, as DuckDB hands it back), plus what
 * several nodes must share: the ingest dedup claims and the quota counters.
 */
export const controlPlane: readonly Migration[] = [
  {
    version: 1,
    name: "model",
    sql: `
CREATE FUNCTION list_contains(anyarray, anyelement) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS 'SELECT $2 = ANY($1)';
CREATE FUNCTION epoch_ms(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS 'SELECT (extract(epoch FROM $1) * 1000)::bigint';
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
  filters TEXT NOT NULL,
  quota TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ,
  sentry_id BIGINT
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
-- Which node stored each (app, client_event_id) first: a claim taken in the same statement that
-- finds the duplicates, so an event sent through two nodes at once is stored once. A claim whose
-- insert into ClickHouse failed is released before the request is answered; one left unstored by
-- a node that died (stored false for over 30 s) is taken over by the next copy.
CREATE TABLE event_claims (
  app_id UUID NOT NULL,
  client_event_id VARCHAR NOT NULL,
  event_id UUID NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  stored BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (app_id, client_event_id)
);
CREATE INDEX event_claims_claimed_at ON event_claims (claimed_at);
-- A session's first event, claimed the same way: the release-health count of new sessions.
CREATE TABLE session_claims (
  app_id UUID NOT NULL,
  session_id VARCHAR NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, session_id)
);
-- Settings every node shares, made by the first node that needs them (the session signing secret).
CREATE TABLE cluster_settings (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
-- Bumped in the transaction of every change to teams, users, memberships, projects, apps and keys:
-- each node reads it once a request and drops its caches when it moved, so a revoked key or a
-- deleted app stops working at once on every node.
CREATE TABLE control_version (version BIGINT NOT NULL);
INSERT INTO control_version VALUES (0);
CREATE FUNCTION bump_control_version() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN UPDATE control_version SET version = version + 1; RETURN NULL; END';
CREATE TRIGGER teams_changed AFTER INSERT OR UPDATE OR DELETE ON teams FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
CREATE TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
CREATE TRIGGER projects_changed AFTER INSERT OR UPDATE OR DELETE ON projects FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
CREATE TRIGGER apps_changed AFTER INSERT OR UPDATE OR DELETE ON apps FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OF revoked_at, expires_at, permissions, events_per_minute, app_id OR DELETE ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION bump_control_version();
-- The read APIs' token buckets per (limit, caller), shared so a caller's rate holds on every node.
CREATE TABLE rate_buckets (
  name VARCHAR NOT NULL,
  caller VARCHAR NOT NULL,
  tokens DOUBLE PRECISION NOT NULL,
  ok BOOLEAN NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (name, caller)
);
-- Accepted events per (project, category, UTC day) and per (key, minute), counted by every node
-- in the commit that claims them: quotas and key rate limits hold across nodes.
CREATE TABLE quota_usage (
  scope VARCHAR NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  used BIGINT NOT NULL,
  PRIMARY KEY (scope, window_start)
);
`,
  },
  {
    version: 2,
    name: "attachments",
    sql: `
CREATE FUNCTION to_days(integer) RETURNS interval
  LANGUAGE sql IMMUTABLE AS 'SELECT make_interval(days => $1)';
${ATTACHMENT_TABLES}
CREATE INDEX attachments_event ON attachments (app_id, client_event_id);
CREATE INDEX attachments_project ON attachments (project_id) WHERE deleted_at IS NULL;
-- The ones waiting for their event: every read that shows event ids links them first.
CREATE INDEX attachments_unlinked ON attachments (app_id, client_event_id)
  WHERE event_id IS NULL AND deleted_at IS NULL;
`,
  },
  {
    version: 3,
    name: "identity, feedback, questionnaires",
    // The embedded store's tables (its migrations 10 and 11). app_users holds what a cluster has
    // of a user: properties (the counts the embedded seal folds in are not kept here).
    sql: `
-- DuckDB's: the lists' cursors are (created_at in epoch microseconds, id).
CREATE FUNCTION epoch_us(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS 'SELECT (extract(epoch FROM $1) * 1000000)::bigint';
${identityTables("TEXT")}
-- Counters that a change to some shared state moves, so every node can tell cheaply that what it
-- holds in memory is stale (as control_version does for the caches of keys, apps and projects).
CREATE TABLE cluster_versions (name VARCHAR PRIMARY KEY, version BIGINT NOT NULL);
CREATE FUNCTION bump_cluster_version() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN UPDATE cluster_versions SET version = version + 1 WHERE name = TG_ARGV[0]; RETURN NULL; END';
-- A claim made through one node is known to every node at its next request.
INSERT INTO cluster_versions VALUES ('identity_claims', 0);
CREATE TRIGGER identity_claims_changed AFTER INSERT OR UPDATE OR DELETE ON identity_claims FOR EACH STATEMENT EXECUTE FUNCTION bump_cluster_version('identity_claims');
CREATE INDEX feedback_project ON feedback (project_id, created_at);
${questionnaireTables("TEXT")}
CREATE INDEX questionnaire_responses_user ON questionnaire_responses (project_id, user_id);
`,
  },
  {
    version: 4,
    name: "issues",
    // The embedded store's tables (its migration 13). One node groups (the lock holder, see
    // cluster/issue-feed.ts); every node reads and triages.
    sql: `
${ISSUE_TABLES}
CREATE INDEX issue_events_event ON issue_events (event_id);
CREATE INDEX issue_events_issue ON issue_events (issue_id, timestamp);
CREATE INDEX issue_events_received ON issue_events (received_at);
CREATE INDEX issues_project ON issues (project_id, last_seen);
-- Moved by every merge: the grouping node reloads its memory before its next round.
INSERT INTO cluster_versions VALUES ('issue_memory', 0);
CREATE TRIGGER issue_merges_changed AFTER INSERT OR UPDATE OR DELETE ON issue_merges FOR EACH STATEMENT EXECUTE FUNCTION bump_cluster_version('issue_memory');
`,
  },
  {
    version: 5,
    name: "notifications",
    // The embedded store's tables (its migration 14); the grouping node delivers them.
    sql: `
CREATE FUNCTION to_milliseconds(bigint) RETURNS interval
  LANGUAGE sql IMMUTABLE AS 'SELECT make_interval(secs => $1 / 1000.0)';
${notificationTables("TEXT", "DOUBLE PRECISION")}
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
`,
  },
  {
    version: 6,
    name: "metric and funnel definitions",
    // The embedded store's definitions (its migration 15); the events they query are ClickHouse's.
    sql: analyticsDefinitionTables("TEXT"),
  },
  {
    version: 7,
    name: "app user counts",
    // Each round counts its events into app_users and app_user_apps (decision 017); the users
    // list pages by last_seen_at within the projects of a caller.
    sql: `
CREATE INDEX app_users_last_seen ON app_users (project_id, last_seen_at);
`,
  },
  {
    version: 8,
    name: "pending app user counts",
    // Each round's tallies of its users, folded into app_users and app_user_apps off the write
    // path (app-users/repository.cluster.ts): a round pays one insert, not an upsert a user.
    sql: `
CREATE TABLE app_user_counts_pending (id BIGSERIAL PRIMARY KEY, tallies TEXT NOT NULL);
-- Written once, read once, soon deleted: not worth compressing on the write path.
ALTER TABLE app_user_counts_pending ALTER COLUMN tallies SET STORAGE EXTERNAL;
`,
  },
];
