/**
 * Tables both engines create with the same statements (decision 017): the embedded store's
 * migrations and the control plane's PostgreSQL ones. JSON columns are JSON in DuckDB and text in
 * PostgreSQL (as the control plane keeps JSON, handed back as text either way).
 */
export type JsonColumn = "JSON" | "TEXT";

export const ATTACHMENT_TABLES = `
-- A file tied to an event by (app_id, client_event_id); its bytes live in attachments/<aa>/<bb>/<sha256>.
-- Reserved first (uploaded_at null), then uploaded; event_id is set once the event is known.
CREATE TABLE attachments (
  id UUID PRIMARY KEY,
  app_id UUID NOT NULL,
  project_id UUID NOT NULL,
  api_key_id UUID,
  client_event_id VARCHAR NOT NULL,
  event_id UUID,
  user_id VARCHAR,
  original_filename VARCHAR NOT NULL,
  content_type VARCHAR NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 VARCHAR NOT NULL,
  is_dev BOOLEAN NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  uploaded_at TIMESTAMPTZ,
  deleted_at TIMESTAMPTZ
);
`;

export const identityTables = (json: JsonColumn) => `
-- Owlmetry's identity claims: from its claim on, the project treats the anonymous id as the user
-- (decision 010). One user per anonymous id: the first claim holds.
CREATE TABLE identity_claims (
  project_id UUID NOT NULL,
  anonymous_id VARCHAR NOT NULL,
  user_id VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (project_id, anonymous_id)
);
-- The users of a project: their properties, and what the seal has counted of their sealed events
-- (readers add the hot rows). id is derived from (project_id, user_id), so a user has it before
-- the first seal.
CREATE TABLE app_users (
  id UUID NOT NULL,
  project_id UUID NOT NULL,
  user_id VARCHAR NOT NULL,
  properties ${json},
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  event_count BIGINT NOT NULL,
  is_dev BOOLEAN NOT NULL,
  last_app_version VARCHAR,
  last_sdk_name VARCHAR,
  last_sdk_version VARCHAR,
  last_locale VARCHAR,
  last_country_code VARCHAR,
  PRIMARY KEY (project_id, user_id)
);
CREATE TABLE app_user_apps (
  project_id UUID NOT NULL,
  user_id VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  event_count BIGINT NOT NULL,
  PRIMARY KEY (project_id, user_id, app_id)
);
CREATE TABLE feedback (
  id UUID PRIMARY KEY,
  app_id UUID NOT NULL,
  project_id UUID NOT NULL,
  session_id VARCHAR,
  user_id VARCHAR,
  message VARCHAR NOT NULL,
  submitter_name VARCHAR,
  submitter_email VARCHAR,
  status VARCHAR NOT NULL,
  is_dev BOOLEAN NOT NULL,
  environment VARCHAR,
  os_version VARCHAR,
  app_version VARCHAR,
  sdk_name VARCHAR,
  sdk_version VARCHAR,
  device_model VARCHAR,
  country_code VARCHAR,
  screen_name VARCHAR,
  -- Attachments uploaded with this client_event_id belong to the feedback (Roost's).
  client_event_id VARCHAR,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
CREATE TABLE feedback_comments (
  id UUID PRIMARY KEY,
  feedback_id UUID NOT NULL,
  author_type VARCHAR NOT NULL,
  author_id UUID NOT NULL,
  author_name VARCHAR NOT NULL,
  body VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
`;

export const questionnaireTables = (json: JsonColumn) => `
-- Owlmetry's questionnaires: a project's definitions (optionally pinned to one app), and one
-- response per (project, slug, user) that SDKs save as a draft and then submit.
CREATE TABLE questionnaires (
  id UUID PRIMARY KEY,
  project_id UUID NOT NULL,
  app_id UUID,
  slug VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  description VARCHAR,
  schema ${json} NOT NULL,
  is_active BOOLEAN NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
CREATE TABLE questionnaire_responses (
  id UUID PRIMARY KEY,
  questionnaire_id UUID NOT NULL,
  slug VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  project_id UUID NOT NULL,
  session_id VARCHAR,
  user_id VARCHAR,
  answers ${json} NOT NULL,
  schema_snapshot ${json},
  submitted_at TIMESTAMPTZ,
  status VARCHAR NOT NULL,
  is_dev BOOLEAN NOT NULL,
  environment VARCHAR,
  os_version VARCHAR,
  app_version VARCHAR,
  sdk_name VARCHAR,
  sdk_version VARCHAR,
  device_model VARCHAR,
  country_code VARCHAR,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
`;

export const ISSUE_TABLES = `
-- Errors grouped into issues (decision 011). A grouping round, right behind the commits that
-- store the errors (through the same writer), writes issues, their fingerprints, per-session
-- occurrences, distinct users, per-day counts and the index of their errors (issue_events), which
-- the events API's issue_id filter reads and which tells, after a crash, what is still ungrouped.
CREATE TABLE issues (
  id UUID PRIMARY KEY,
  -- Creation order: a burst aliases new fingerprints onto its oldest issue.
  seq BIGINT NOT NULL,
  project_id UUID NOT NULL,
  app_id UUID NOT NULL,
  is_dev BOOLEAN NOT NULL,
  status VARCHAR NOT NULL,
  title VARCHAR NOT NULL,
  source_module VARCHAR,
  event_count BIGINT NOT NULL,
  session_count BIGINT NOT NULL,
  user_count BIGINT NOT NULL,
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL,
  first_release VARCHAR,
  first_release_at TIMESTAMPTZ,
  last_release VARCHAR,
  last_release_at TIMESTAMPTZ,
  first_sdk_version VARCHAR,
  first_sdk_at TIMESTAMPTZ,
  last_sdk_version VARCHAR,
  last_sdk_at TIMESTAMPTZ,
  resolved_at_version VARCHAR,
  snoozed_at TIMESTAMPTZ,
  snooze_until TIMESTAMPTZ,
  snooze_count BIGINT,
  snooze_events BIGINT,
  regressed_at TIMESTAMPTZ,
  last_notified_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE issue_fingerprints (
  fingerprint VARCHAR NOT NULL,
  app_id UUID NOT NULL,
  is_dev BOOLEAN NOT NULL,
  issue_id UUID NOT NULL,
  PRIMARY KEY (fingerprint, app_id, is_dev)
);
CREATE TABLE issue_events (
  issue_id UUID NOT NULL,
  event_id UUID NOT NULL,
  app_id UUID NOT NULL,
  is_dev BOOLEAN NOT NULL,
  session_id VARCHAR NOT NULL,
  app_version VARCHAR,
  timestamp TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE issue_occurrences (
  issue_id UUID NOT NULL,
  session_id VARCHAR NOT NULL,
  user_id VARCHAR,
  event_id UUID NOT NULL,
  app_version VARCHAR,
  sdk_name VARCHAR,
  sdk_version VARCHAR,
  environment VARCHAR,
  country_code VARCHAR,
  timestamp TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (issue_id, session_id)
);
CREATE TABLE issue_users (issue_id UUID NOT NULL, user_id VARCHAR NOT NULL, PRIMARY KEY (issue_id, user_id));
CREATE TABLE issue_days (issue_id UUID NOT NULL, day DATE NOT NULL, events BIGINT NOT NULL, PRIMARY KEY (issue_id, day));
CREATE TABLE issue_merges (source_id UUID PRIMARY KEY, target_id UUID NOT NULL, merged_at TIMESTAMPTZ NOT NULL);
CREATE TABLE issue_comments (
  id UUID PRIMARY KEY,
  issue_id UUID NOT NULL,
  author_type VARCHAR NOT NULL,
  author_id UUID NOT NULL,
  author_name VARCHAR NOT NULL,
  body VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
`;

export const notificationTables = (json: JsonColumn, double: "DOUBLE" | "DOUBLE PRECISION") => `
-- Where a project's issue news goes (decision 011), and a durable outbox: a notification is
-- queued in the grouping round that decided it, and marked delivered in its own commit.
CREATE TABLE notification_destinations (
  id UUID PRIMARY KEY,
  project_id UUID NOT NULL,
  kind VARCHAR NOT NULL,
  url VARCHAR NOT NULL,
  secret VARCHAR NOT NULL,
  -- issue.new, issue.regressed, issue.digest
  events VARCHAR[] NOT NULL,
  last_digest_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
CREATE TABLE notification_outbox (
  id UUID PRIMARY KEY,
  destination_id UUID NOT NULL,
  event VARCHAR NOT NULL,
  payload ${json} NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  delivered_at TIMESTAMPTZ,
  failed_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE notification_attempts (
  outbox_id UUID NOT NULL,
  attempt INTEGER NOT NULL,
  status INTEGER,
  error VARCHAR,
  ms ${double} NOT NULL,
  attempted_at TIMESTAMPTZ NOT NULL
);
`;

export const analyticsDefinitionTables = (
  json: JsonColumn,
) => `-- Owlmetry's metric and funnel definitions, per project (decision 012). A deleted definition keeps
-- its row (deleted_at), and creating its slug again brings it back.
CREATE TABLE metric_definitions (
  id UUID PRIMARY KEY,
  project_id UUID NOT NULL,
  name VARCHAR NOT NULL,
  slug VARCHAR NOT NULL,
  description VARCHAR,
  documentation VARCHAR,
  schema_definition ${json},
  aggregation_rules ${json},
  status VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
CREATE TABLE funnel_definitions (
  id UUID PRIMARY KEY,
  project_id UUID NOT NULL,
  name VARCHAR NOT NULL,
  slug VARCHAR NOT NULL,
  description VARCHAR,
  steps ${json} NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  deleted_at TIMESTAMPTZ
);
`;
