import type { Migration } from "./migrations";

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
];
