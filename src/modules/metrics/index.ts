import { Elysia } from "elysia";
import { authErrors, DeletedFlag, ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CompletionsCount, TeamQuery } from "../analytics/model";
import {
  CreateMetric,
  DefinitionIdParams,
  MetricDefinition,
  MetricEventList,
  MetricEventsQuery,
  MetricList,
  MetricQuery,
  MetricQueryResult,
  MetricStats,
  ProjectParams,
  SlugParams,
  StatsQuery,
  TeamMetricStats,
  UpdateMetric,
} from "./model";
import type { MetricsService } from "./service";

const tags = ["metrics"];

/** Owlmetry's metrics API (decision 012). */
export function metricsRoutes(guard: AuthGuard, metrics: MetricsService) {
  const one = "/projects/:id/metrics/:slug";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get("/projects/:id/metrics", ({ caller, params }) => metrics.list(caller, params.id), {
      permission: "metrics:read",
      params: ProjectParams,
      response: { 200: MetricList, ...authErrors },
      detail: { tags, summary: "A project's metric definitions" },
    })
    .post(
      "/projects/:id/metrics",
      async ({ caller, params, body, set }) => {
        const created = await metrics.create(caller, params.id, body);
        set.status = 201;
        return created;
      },
      {
        permission: "metrics:write",
        params: ProjectParams,
        body: CreateMetric,
        response: { 201: MetricDefinition, 409: ErrorBody, ...authErrors },
        detail: { tags, summary: "Define a metric (a deleted one with the slug comes back)" },
      },
    )
    .get(one, ({ caller, params }) => metrics.get(caller, params.id, params.slug), {
      permission: "metrics:read",
      params: SlugParams,
      response: { 200: MetricDefinition, ...authErrors },
      detail: { tags, summary: "One metric definition by slug" },
    })
    .patch(one, ({ caller, params, body }) => metrics.update(caller, params.id, params.slug, body), {
      permission: "metrics:write",
      params: SlugParams,
      body: UpdateMetric,
      response: { 200: MetricDefinition, ...authErrors },
      detail: { tags, summary: "Change a metric definition" },
    })
    .delete(one, ({ caller, params }) => metrics.remove(caller, params.id, params.slug), {
      permission: "metrics:write",
      params: SlugParams,
      response: { 200: DeletedFlag, ...authErrors },
      detail: { tags, summary: "Delete a metric definition (its events stay queryable)" },
    })
    .get(
      `${one}/query`,
      ({ caller, params, query }) => metrics.query(caller, params.id, params.slug, query),
      {
        permission: "metrics:read",
        params: SlugParams,
        query: MetricQuery,
        response: { 200: MetricQueryResult, ...authErrors },
        detail: {
          tags,
          summary:
            "Counts per phase, success rate, duration percentiles and errors; grouped or as a time series",
        },
      },
    )
    .get(
      `${one}/events`,
      ({ caller, params, query }) => metrics.events(caller, params.id, params.slug, query),
      {
        permission: "metrics:read",
        params: SlugParams,
        query: MetricEventsQuery,
        response: { 200: MetricEventList, ...authErrors },
        detail: { tags, summary: "A metric's events, newest first" },
      },
    )
    .get(
      "/projects/:id/metric-stats",
      ({ caller, params, query }) => metrics.projectStats(caller, params.id, query),
      {
        permission: "metrics:read",
        params: ProjectParams,
        query: StatsQuery,
        response: { 200: MetricStats, ...authErrors },
        detail: { tags, summary: "Every metric of a project: completions, failures, success rate" },
      },
    )
    .get("/metric-stats", ({ caller, query }) => metrics.teamStats(caller, query), {
      permission: "metrics:read",
      query: TeamQuery,
      response: { 200: TeamMetricStats, ...authErrors },
      detail: { tags, summary: "Every metric of the caller's teams (or of one team or project)" },
    })
    .get("/metrics/completions/count", ({ caller, query }) => metrics.completions(caller, query), {
      permission: "metrics:read",
      query: TeamQuery,
      response: { 200: CompletionsCount, ...authErrors },
      detail: { tags, summary: "Completed and started operations over the caller's scope" },
    })
    .get("/metrics/by-id/:id", ({ caller, params }) => metrics.byId(caller, params.id), {
      permission: "metrics:read",
      params: DefinitionIdParams,
      response: { 200: MetricDefinition, ...authErrors },
      detail: { tags, summary: "One metric definition by id" },
    });
}
