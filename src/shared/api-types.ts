/**
 * The shapes of the public API as TypeScript types, derived from the server's schemas: the
 * dashboard imports these (types only, nothing reaches its bundle), so a change to a response
 * shape breaks the dashboard's typecheck instead of its screens.
 */
import type { AppUser as AppUserSchema } from "../modules/app-users/model";
import type { App as AppSchema } from "../modules/apps/model";
import type { MeResponse } from "../modules/auth/model";
import type { EventDetail as EventDetailSchema, Event as EventSchema } from "../modules/events/model";
import type {
  FeedbackComment as FeedbackCommentSchema,
  FeedbackDetail as FeedbackDetailSchema,
  Feedback as FeedbackSchema,
} from "../modules/feedback/model";
import type {
  ExperimentList,
  FunnelQueryResult,
  FunnelDefinition as FunnelSchema,
  FunnelStep as FunnelStepSchema,
} from "../modules/funnels/model";
import type { IssueDetail as IssueDetailSchema, Issue as IssueSchema } from "../modules/issues/model";
import type { Key as KeySchema } from "../modules/keys/model";
import type {
  MetricQueryResult,
  MetricDefinition as MetricSchema,
  MetricStats as MetricStatsSchema,
} from "../modules/metrics/model";
import type { Project as ProjectSchema } from "../modules/projects/model";
import type { StatsResponse } from "../modules/stats/model";

/** GET /v1/auth/me for a signed-in user (the dashboard's only kind of caller). */
export type Me = Extract<typeof MeResponse.static, { type: "user" }>;
export type Team = Me["teams"][number];
export type Project = typeof ProjectSchema.static;
export type App = typeof AppSchema.static;
export type Key = typeof KeySchema.static;
/** One event of GET /v1/events. */
export type Event = typeof EventSchema.static;
/** GET /v1/events/:id. */
export type EventDetail = typeof EventDetailSchema.static;
export type Stats = typeof StatsResponse.static;
export type StatsGroup = Stats["groups"][number];
/** One user of GET /v1/app-users. */
export type AppUser = typeof AppUserSchema.static;
/** One item of GET /v1/feedback. */
export type Feedback = typeof FeedbackSchema.static;
export type FeedbackDetail = typeof FeedbackDetailSchema.static;
export type FeedbackComment = typeof FeedbackCommentSchema.static;
export type Issue = typeof IssueSchema.static;
export type IssueDetail = typeof IssueDetailSchema.static;
/** One definition of GET /v1/projects/:projectId/metrics. */
export type Metric = typeof MetricSchema.static;
/** One metric of GET /v1/projects/:projectId/metric-stats. */
export type MetricStat = (typeof MetricStatsSchema.static)["stats"][number];
/** GET …/metrics/:slug/query's numbers. */
export type MetricAggregation = (typeof MetricQueryResult.static)["aggregation"];
export type Funnel = typeof FunnelSchema.static;
export type FunnelStep = typeof FunnelStepSchema.static;
/** GET …/funnels/:slug/query's numbers. */
export type FunnelAnalytics = (typeof FunnelQueryResult.static)["analytics"];
/** One experiment of GET /v1/projects/:projectId/experiments. */
export type Experiment = (typeof ExperimentList.static)["experiments"][number];
