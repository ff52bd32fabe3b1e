import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { METRIC_PHASES } from "../analytics/derive";
import { Slug } from "../analytics/model";

const Nullable = t.Union([t.String(), t.Null()]);
const NullableNumber = t.Union([t.Number(), t.Null()]);
const JsonObject = t.Object({}, { additionalProperties: true });
/**
 * A JSON object or null, checked by the service: through a schema, Elysia turned a string into an
 * object of its characters.
 */
const Json = t.Unknown({ description: "A JSON object, or null" });

/** Owlmetry's statuses: `paused` in its concepts, `archived` in its API reference. */
export const METRIC_STATUSES = ["active", "paused", "archived"] as const;

/** Owlmetry's MetricDefinition as the API writes it. */
export const MetricDefinition = t.Object({
  id: Uuid,
  project_id: Uuid,
  name: t.String(),
  slug: t.String(),
  description: Nullable,
  documentation: Nullable,
  schema_definition: t.Union([JsonObject, t.Null()]),
  aggregation_rules: t.Union([JsonObject, t.Null()], {
    description:
      "Owlmetry's rules; `lifecycle: true` marks start/complete/fail/cancel metrics, false single-shot ones",
  }),
  status: oneOf(METRIC_STATUSES),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const MetricList = t.Object({ metrics: t.Array(MetricDefinition) });

export const ProjectParams = t.Object({ id: t.String() });
export const SlugParams = t.Object({ id: t.String(), slug: t.String() });
export const DefinitionIdParams = t.Object({ id: t.String() });

export const CreateMetric = t.Object({
  name: t.String({ minLength: 1, error: "must be a non-empty string" }),
  slug: Slug,
  description: t.Optional(t.Union([t.String(), t.Null()])),
  documentation: t.Optional(t.Union([t.String(), t.Null()])),
  schema_definition: t.Optional(Json),
  aggregation_rules: t.Optional(Json),
});

export const UpdateMetric = t.Object({
  name: t.Optional(t.String({ minLength: 1, error: "must be a non-empty string" })),
  description: t.Optional(t.Union([t.String(), t.Null()])),
  documentation: t.Optional(t.Union([t.String(), t.Null()])),
  schema_definition: t.Optional(Json),
  aggregation_rules: t.Optional(Json),
  status: t.Optional(oneOf(METRIC_STATUSES)),
});

const Group = t.Object({
  key: t.String(),
  value: t.String(),
  total_count: t.Integer(),
  complete_count: t.Integer(),
  fail_count: t.Integer(),
  success_rate: NullableNumber,
  duration_avg_ms: NullableNumber,
  duration_p50_ms: NullableNumber,
  duration_p90_ms: NullableNumber,
  duration_p95_ms: NullableNumber,
  duration_p99_ms: NullableNumber,
  unique_users: t.Integer(),
});

/** Owlmetry's MetricAggregationResult, plus Roost's p90, min, max and abandoned starts. */
export const Aggregation = t.Object({
  total_count: t.Integer(),
  start_count: t.Integer(),
  complete_count: t.Integer(),
  fail_count: t.Integer(),
  cancel_count: t.Integer(),
  record_count: t.Integer(),
  abandoned_count: t.Integer({
    description: "Roost's: starts whose operation never ended (no complete, fail or cancel) after an hour",
  }),
  success_rate: t.Union([t.Number(), t.Null()], {
    description: "complete / (complete + fail) × 100, two decimals; null with neither",
  }),
  duration_avg_ms: NullableNumber,
  duration_min_ms: NullableNumber,
  duration_p50_ms: NullableNumber,
  duration_p90_ms: NullableNumber,
  duration_p95_ms: NullableNumber,
  duration_p99_ms: NullableNumber,
  duration_max_ms: NullableNumber,
  unique_users: t.Integer(),
  error_breakdown: t.Array(t.Object({ error: t.String(), count: t.Integer() })),
  groups: t.Optional(t.Array(Group)),
});

export const MetricQueryResult = t.Object({ slug: t.String(), aggregation: Aggregation });

export const MetricQuery = t.Object({
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
  app_version: t.Optional(t.String()),
  device_model: t.Optional(t.String()),
  os_version: t.Optional(t.String()),
  user_id: t.Optional(t.String()),
  environment: t.Optional(t.String()),
  country_code: t.Optional(t.String()),
  experiment: t.Optional(t.String({ description: "name:variant" })),
  data_mode: t.Optional(t.String()),
  group_by: t.Optional(
    t.String({
      description:
        "time:hour, time:day, time:week, app_id, app_version, device_model, os_version, environment, country_code or experiment:<name>",
    }),
  ),
});

export const MetricEvent = t.Object({
  id: Uuid,
  app_id: Uuid,
  session_id: t.String(),
  user_id: Nullable,
  api_key_id: t.Union([Uuid, t.Null()]),
  metric_slug: t.String(),
  phase: oneOf(METRIC_PHASES),
  tracking_id: Nullable,
  duration_ms: NullableNumber,
  error: Nullable,
  attributes: t.Union([t.Record(t.String(), t.String()), t.Null()]),
  experiments: t.Union([t.Record(t.String(), t.String()), t.Null()]),
  environment: Nullable,
  os_version: Nullable,
  app_version: Nullable,
  device_model: Nullable,
  build_number: Nullable,
  country_code: Nullable,
  is_dev: t.Boolean(),
  client_event_id: t.String(),
  timestamp: Timestamp,
  received_at: Timestamp,
});

export const MetricEventList = t.Object({
  events: t.Array(MetricEvent),
  cursor: Nullable,
  has_more: t.Boolean(),
});

export const MetricEventsQuery = t.Object({
  phase: t.Optional(t.String()),
  tracking_id: t.Optional(t.String()),
  user_id: t.Optional(t.String()),
  environment: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  data_mode: t.Optional(t.String()),
  cursor: t.Optional(t.String()),
  limit: t.Optional(t.String()),
});

const StatsEntry = t.Object({
  slug: t.String(),
  complete_count: t.Integer(),
  fail_count: t.Integer(),
  success_rate: NullableNumber,
});

export const MetricStats = t.Object({ stats: t.Array(StatsEntry) });
export const TeamMetricStats = t.Object({
  stats: t.Array(t.Composite([StatsEntry, t.Object({ project_id: Uuid })])),
});

export const StatsQuery = t.Object({
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  data_mode: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
});
