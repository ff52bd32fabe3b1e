import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { ENVIRONMENTS, LEVELS } from "../../lib/vocab";
import { SLUG_PATTERN } from "../teams/model";

export const PROJECT_STATUSES = ["active", "disabled"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

const Glob = t.String({ minLength: 1, maxLength: 200 });

/** Inbound filters: events matching any of them are dropped at ingest with outcome `filtered`. */
export const ProjectFilters = t.Object({
  levels: t.Array(oneOf(LEVELS, { error: `filters.levels may hold only ${LEVELS.join(", ")}` }), {
    maxItems: 4,
  }),
  environments: t.Array(
    oneOf(ENVIRONMENTS, { error: `filters.environments may hold only ${ENVIRONMENTS.join(", ")}` }),
    {
      maxItems: 20,
    },
  ),
  app_versions: t.Array(Glob, { maxItems: 100, description: "exact versions or globs such as 1.2.*" }),
  messages: t.Array(Glob, { maxItems: 100, description: "message globs" }),
  dev_data: t.Boolean({
    description: "drop events with is_dev = true",
    error: "filters.dev_data must be true or false",
  }),
});
export type ProjectFilters = typeof ProjectFilters.static;

const limit = (name: string) =>
  t.Union([t.Integer({ minimum: 1 }), t.Null()], {
    error: `quota.${name} must be a positive whole number or null`,
  });

/** Ingest limits; null means no limit. */
export const ProjectQuota = t.Object({
  events_per_minute: limit("events_per_minute"),
  abuse_events_per_hour: limit("abuse_events_per_hour"),
  attachment_bytes: t.Integer({
    minimum: 0,
    error: "quota.attachment_bytes must be a whole number of bytes, 0 or more",
  }),
});
export type ProjectQuota = typeof ProjectQuota.static;

export const DEFAULT_FILTERS: ProjectFilters = {
  levels: [],
  environments: [],
  app_versions: [],
  messages: [],
  dev_data: false,
};
export const DEFAULT_QUOTA: ProjectQuota = {
  events_per_minute: null,
  abuse_events_per_hour: null,
  attachment_bytes: 5 * 1024 ** 3,
};

export const Project = t.Object({
  id: Uuid,
  team_id: Uuid,
  name: t.String(),
  slug: t.String(),
  retention_days: t.Integer(),
  status: oneOf(PROJECT_STATUSES),
  filters: ProjectFilters,
  quota: ProjectQuota,
  created_at: Timestamp,
  updated_at: Timestamp,
  sentry_id: t.Integer({ description: "the project's number in its Sentry DSN" }),
});

const editable = {
  name: t.String({ minLength: 1, maxLength: 200 }),
  slug: t.String({ pattern: SLUG_PATTERN, error: "slug must be 1 to 50 characters of a-z, 0-9 and -" }),
  retention_days: t.Integer({
    minimum: 1,
    maximum: 3650,
    error: "retention_days must be a whole number from 1 to 3650",
  }),
  status: oneOf(PROJECT_STATUSES, { error: "status must be active or disabled" }),
  filters: t.Partial(ProjectFilters),
  quota: t.Partial(ProjectQuota),
};

export const CreateProjectBody = t.Object({
  team_id: t.Optional(Uuid),
  name: editable.name,
  slug: t.Optional(editable.slug),
  retention_days: t.Optional(editable.retention_days),
  status: t.Optional(editable.status),
  filters: t.Optional(editable.filters),
  quota: t.Optional(editable.quota),
});
export type CreateProjectBody = typeof CreateProjectBody.static;

export const PatchProjectBody = t.Partial(t.Object(editable));
export type PatchProjectBody = typeof PatchProjectBody.static;

export const ListProjectsQuery = t.Object({ team_id: t.Optional(Uuid) });
