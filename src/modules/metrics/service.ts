import { decodeTimeCursor, encodeTimeCursor } from "../../lib/cursor";
import { badRequest } from "../../lib/errors";
import { isoRequired } from "../../lib/time";
import type { Database, SharedWriter } from "../../store/db";
import type { Caller } from "../access/caller";
import { Definitions } from "../analytics/definitions";
import { METRIC_PHASES } from "../analytics/derive";
import { DAY_MS, groupParam, parseAnalyticsFilters, round } from "../analytics/params";
import type { Reads } from "../analytics/reads";
import type { DefinitionRow } from "../analytics/repository";
import { pageLimit } from "../events/params";
import { projectFor, projectsInScope } from "../projects/scope";
import type { MetricReads } from "./reads";
import { METRIC_GROUPS, type MetricEventRow, type MetricGroup, type StatsRow } from "./repository";

type Query = Record<string, string | undefined>;
/** A start with no end after this long is abandoned (decision 012). */
export const ABANDON_AFTER_MS = 3_600_000;
const ERRORS_SHOWN = 20;
const GROUPS_SHOWN = 100;

/** Owlmetry's metrics: definitions per project, and queries over the metric events (decision 012). */
export class MetricsService {
  private readonly definitions: Definitions;

  constructor(
    private readonly store: Database,
    writer: SharedWriter,
    /** The metric events: the embedded store's derived table, or ClickHouse's (decision 017). */
    private readonly analytics: Reads<MetricReads>,
  ) {
    this.definitions = new Definitions(store, writer, "metric_definitions", {
      read: "metrics:read",
      write: "metrics:write",
      missing: "Metric not found",
      taken: "A metric with this slug already exists in this project",
    });
  }

  async list(caller: Caller, projectId: string) {
    return { metrics: (await this.definitions.list(caller, projectId)).map(present) };
  }

  get = async (caller: Caller, projectId: string, slug: string) =>
    present(await this.definitions.get(caller, projectId, slug));

  /** `GET /v1/metrics/by-id/:id`. */
  byId = async (caller: Caller, id: string) => present(await this.definitions.byId(caller, id));

  /** Creates the definition; a deleted one with the slug comes back (its id and history kept). */
  async create(caller: Caller, projectId: string, body: MetricBody & { name: string; slug: string }) {
    checkJson(body);
    const { slug, ...fields } = body;
    return present(
      await this.definitions.create(caller, projectId, slug, {
        name: fields.name,
        description: fields.description ?? null,
        documentation: fields.documentation ?? null,
        schema_definition: fields.schema_definition ?? null,
        aggregation_rules: fields.aggregation_rules ?? null,
        status: "active",
      }),
    );
  }

  async update(caller: Caller, projectId: string, slug: string, body: MetricBody & { status?: string }) {
    if (Object.values(body).every((v) => v === undefined))
      throw badRequest("At least one field to update is required");
    checkJson(body);
    const change = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    return present(await this.definitions.update(caller, projectId, slug, () => change));
  }

  remove = (caller: Caller, projectId: string, slug: string) =>
    this.definitions.remove(caller, projectId, slug);

  /**
   * `GET …/metrics/:slug/query`: counts per phase, success rate, durations and the top errors over
   * the filters (the last 24 hours unless `since`), optionally grouped. A slug needs no definition.
   */
  async query(caller: Caller, projectId: string, slug: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    const f = parseAnalyticsFilters(q, [project.id], DAY_MS, now);
    const group = q.group_by ? groupParam<MetricGroup>(q.group_by, METRIC_GROUPS) : undefined;
    const aggregation = await this.analytics(async (reads) => {
      f.claims = await reads.anyClaims(f.projectIds);
      const stats = await reads.metricStats(f, slug);
      const abandoned = await reads.abandonedStarts(f, slug, new Date(now - ABANDON_AFTER_MS));
      const errors = await reads.errorBreakdown(f, slug, ERRORS_SHOWN);
      const groups = group ? await reads.groupedStats(f, slug, group, GROUPS_SHOWN) : undefined;
      return {
        ...presentStats(stats),
        abandoned_count: abandoned,
        error_breakdown: errors,
        ...(groups && group
          ? {
              groups: groups.map((g) => {
                const s = presentStats(g);
                return {
                  key: group,
                  value: g.value,
                  total_count: s.total_count,
                  complete_count: s.complete_count,
                  fail_count: s.fail_count,
                  success_rate: s.success_rate,
                  duration_avg_ms: s.duration_avg_ms,
                  duration_p50_ms: s.duration_p50_ms,
                  duration_p90_ms: s.duration_p90_ms,
                  duration_p95_ms: s.duration_p95_ms,
                  duration_p99_ms: s.duration_p99_ms,
                  unique_users: s.unique_users,
                };
              }),
            }
          : {}),
      };
    });
    return { slug, aggregation };
  }

  /** `GET …/metrics/:slug/events`: the metric's events, newest first, with a cursor. */
  async events(caller: Caller, projectId: string, slug: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    const f = parseAnalyticsFilters(q, [project.id], null, now);
    if (q.phase && !(METRIC_PHASES as readonly string[]).includes(q.phase))
      throw badRequest(`phase must be one of ${METRIC_PHASES.join(", ")}`);
    const limit = pageLimit(q.limit);
    const cursor = q.cursor ? decodeTimeCursor(q.cursor) : undefined;
    const rows = await this.analytics((reads) =>
      reads.metricEvents(f, slug, { phase: q.phase, trackingId: q.tracking_id, cursor }, limit + 1),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map(presentEvent),
      cursor: rows.length > limit && last ? encodeTimeCursor(last.ts_us, last.id) : null,
      has_more: rows.length > limit,
    };
  }

  /** `GET /v1/projects/:projectId/metric-stats`: every metric's completions and failures. */
  async projectStats(caller: Caller, projectId: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    const f = parseAnalyticsFilters(q, [project.id], DAY_MS, now);
    const rows = await this.analytics((reads) => reads.completionsBySlug(f));
    return { stats: rows.map(({ project_id: _, ...r }) => statsEntry(r)) };
  }

  /** `GET /v1/metric-stats`: the same over the caller's teams (or one team or project of them). */
  async teamStats(caller: Caller, q: Query, now = Date.now()) {
    const projects = await projectsInScope(this.store, caller, "metrics:read", q);
    if (projects.length === 0) return { stats: [] };
    const f = parseAnalyticsFilters(q, projects, DAY_MS, now);
    const rows = await this.analytics((reads) => reads.completionsBySlug(f));
    return { stats: rows.map(statsEntry) };
  }

  /** `GET /v1/metrics/completions/count`: complete and start events over the caller's scope. */
  async completions(caller: Caller, q: Query, now = Date.now()) {
    const projects = await projectsInScope(this.store, caller, "metrics:read", q);
    if (projects.length === 0) return { count: 0, started: 0 };
    const f = parseAnalyticsFilters(q, projects, DAY_MS, now);
    return this.analytics((reads) => reads.completionTotals(f));
  }
}

interface MetricBody {
  name?: string;
  description?: string | null;
  documentation?: string | null;
  schema_definition?: unknown;
  aggregation_rules?: unknown;
}

/**
 * The JSON fields are objects (checked here: see model.ts), and Owlmetry's
 * rules say whether a metric has a lifecycle with a boolean.
 */
function checkJson(body: MetricBody) {
  for (const field of ["schema_definition", "aggregation_rules"] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && (typeof value !== "object" || Array.isArray(value)))
      throw badRequest(`${field} must be a JSON object or null`);
  }
  const rules = body.aggregation_rules as Record<string, unknown> | null | undefined;
  if (rules && rules.lifecycle !== undefined && typeof rules.lifecycle !== "boolean")
    throw badRequest("aggregation_rules.lifecycle must be true or false");
}

const parseJson = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : (value ?? null));

function present(row: DefinitionRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    documentation: (row.documentation as string | null) ?? null,
    schema_definition: (row.schema_definition ?? null) as Record<string, unknown> | null,
    aggregation_rules: (row.aggregation_rules ?? null) as Record<string, unknown> | null,
    status: row.status as "active" | "paused" | "archived",
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
  };
}

/** Owlmetry's success rate: complete / (complete + fail), a percentage with two decimals. */
const successRate = (complete: number, fail: number): number | null =>
  complete + fail > 0 ? round((complete / (complete + fail)) * 100, 2) : null;

const ms = (value: number | null | undefined): number | null =>
  value === null || value === undefined ? null : round(value, 2);

function presentStats(s: StatsRow) {
  const q = s.quantiles ?? [];
  return {
    total_count: s.total_count,
    start_count: s.start_count,
    complete_count: s.complete_count,
    fail_count: s.fail_count,
    cancel_count: s.cancel_count,
    record_count: s.record_count,
    success_rate: successRate(s.complete_count, s.fail_count),
    duration_avg_ms: ms(s.duration_avg_ms),
    duration_min_ms: ms(s.duration_min_ms),
    duration_p50_ms: ms(q[0]),
    duration_p90_ms: ms(q[1]),
    duration_p95_ms: ms(q[2]),
    duration_p99_ms: ms(q[3]),
    duration_max_ms: ms(s.duration_max_ms),
    unique_users: s.unique_users,
  };
}

function statsEntry<R extends { complete_count: number; fail_count: number }>(r: R) {
  return { ...r, success_rate: successRate(r.complete_count, r.fail_count) };
}

function presentEvent(r: MetricEventRow) {
  return {
    id: r.id,
    app_id: r.app_id,
    session_id: r.session_id,
    user_id: r.user_id,
    api_key_id: r.api_key_id,
    metric_slug: r.slug,
    phase: r.phase as (typeof METRIC_PHASES)[number],
    tracking_id: r.tracking_id,
    duration_ms: r.duration_ms,
    error: r.error,
    attributes: parseJson(r.attributes),
    experiments: parseJson(r.experiments),
    environment: r.environment,
    os_version: r.os_version,
    app_version: r.app_version,
    device_model: r.device_model,
    build_number: r.build_number,
    country_code: r.country_code,
    is_dev: r.is_dev,
    client_event_id: r.client_event_id,
    timestamp: isoRequired(r.timestamp),
    received_at: isoRequired(r.received_at),
  };
}
