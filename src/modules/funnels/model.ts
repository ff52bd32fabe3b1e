import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { Slug } from "../analytics/model";

const Nullable = t.Union([t.String(), t.Null()]);
export const MAX_STEPS = 20;
export const FUNNEL_MODES = ["open", "closed"] as const;

/**
 * Owlmetry's step filter (step_name and/or screen_name), plus Roost's attribute filters: custom
 * attributes the step's event must carry, each with its exact value.
 */
const EventFilter = t.Object({
  step_name: t.Optional(t.String()),
  screen_name: t.Optional(t.String()),
  attributes: t.Optional(t.Record(t.String(), t.String())),
});

export const FunnelStep = t.Object({ name: t.String(), event_filter: EventFilter });

export const FunnelDefinition = t.Object({
  id: Uuid,
  project_id: Uuid,
  name: t.String(),
  slug: t.String(),
  description: Nullable,
  steps: t.Array(FunnelStep),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const FunnelList = t.Object({ funnels: t.Array(FunnelDefinition) });

export const ProjectParams = t.Object({ id: t.String() });
export const SlugParams = t.Object({ id: t.String(), slug: t.String() });
export const DefinitionIdParams = t.Object({ id: t.String() });

/** Steps are checked by the service, with Owlmetry's messages (`steps[1]: name is required`). */
const Steps = t.Array(t.Unknown(), { error: "steps must be a non-empty array" });

export const CreateFunnel = t.Object({
  name: t.String({ minLength: 1, error: "must be a non-empty string" }),
  slug: Slug,
  description: t.Optional(t.Union([t.String(), t.Null()])),
  steps: Steps,
});

export const UpdateFunnel = t.Object({
  name: t.Optional(t.String({ minLength: 1, error: "must be a non-empty string" })),
  description: t.Optional(t.Union([t.String(), t.Null()])),
  steps: t.Optional(Steps),
});

export const StepAnalytics = t.Object({
  step_index: t.Integer(),
  step_name: t.String(),
  unique_users: t.Integer(),
  percentage: t.Number({ description: "Of the first step's users, one decimal" }),
  drop_off_count: t.Integer(),
  drop_off_percentage: t.Number(),
  median_time_from_previous_ms: t.Union([t.Number(), t.Null()], {
    description:
      "Roost's: the median time from a user's previous step to this one, among those who did both in order",
  }),
});

export const FunnelQueryResult = t.Object({
  slug: t.String(),
  analytics: t.Object({
    funnel: FunnelDefinition,
    mode: oneOf(FUNNEL_MODES),
    total_users: t.Integer(),
    steps: t.Array(StepAnalytics),
    breakdown: t.Optional(
      t.Array(
        t.Object({
          key: t.String(),
          value: t.String(),
          total_users: t.Integer(),
          steps: t.Array(StepAnalytics),
        }),
      ),
    ),
  }),
});

export const FunnelQuery = t.Object({
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
  app_version: t.Optional(t.String()),
  environment: t.Optional(t.String()),
  experiment: t.Optional(t.String({ description: "name:variant" })),
  mode: t.Optional(t.String({ description: "open (the default) or closed" })),
  group_by: t.Optional(t.String({ description: "environment, app_version or experiment:<name>" })),
  data_mode: t.Optional(t.String()),
});

export const ExperimentsQuery = t.Object({
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
  data_mode: t.Optional(t.String()),
});

export const ExperimentList = t.Object({
  experiments: t.Array(t.Object({ name: t.String(), variants: t.Array(t.String()) })),
});
