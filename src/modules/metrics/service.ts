import { decodeTimeCursor, encodeTimeCursor } from "../../lib/cursor";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { isUuid, newId } from "../../lib/ids";
import { isoRequired } from "../../lib/time";
import type { SharedWriter, Store, Tx } from "../../store/db";
import type { Caller } from "../access/caller";
import { METRIC_PHASES } from "../analytics/derive";
import { DAY_MS, experimentName, parseAnalyticsFilters, round } from "../analytics/params";
import {
  anyClaims,
  type DefinitionRow,
  definitionById,
  definitionBySlug,
  definitionsOf,
  saveDefinition,
} from "../analytics/repository";
import { pageLimit } from "../events/params";
import { projectFor, projectsInScope } from "../projects/scope";
import {
  abandonedStarts,
  completionsBySlug,
  completionTotals,
  errorBreakdown,
  groupedStats,
  METRIC_GROUPS,
  type MetricEventRow,
  type MetricGroup,
  metricEvents,
  metricStats,
  type StatsRow,
} from "./repository";

type Query = Record<string, string | undefined>;
const TABLE = "metric_definitions";
/** A start with no end after this long is abandoned (decision 012). */
export const ABANDON_AFTER_MS = 3_600_000;
const ERRORS_SHOWN = 20;
const GROUPS_SHOWN = 100;

/** Owlmetry's metrics: definitions per project, and queries over the metric events (decision 012). */
export class MetricsService {
  constructor(
    private readonly store: Store,
    private readonly writer: SharedWriter,
  ) {}

  async list(caller: Caller, projectId: string) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    const rows = await this.store.snapshot((tx) => definitionsOf(tx, TABLE, [project.id]));
    return { metrics: rows.map(present) };
  }

  async get(caller: Caller, projectId: string, slug: string) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    return present(await this.store.snapshot((tx) => this.live(tx, project.id, slug)));
  }

  /** `GET /v1/metrics/by-id/:id`: another team's metric is as missing as one that never was. */
  async byId(caller: Caller, id: string) {
    const row = isUuid(id)
      ? await this.store.snapshot((tx) => definitionById(tx, TABLE, id.toLowerCase()))
      : null;
    if (!row) throw metricNotFound();
    await projectFor(this.store, caller, row.project_id, "metrics:read").catch(() => {
      throw metricNotFound();
    });
    return present(row);
  }

  /** Creates the definition; a deleted one with the slug comes back (its id and history kept). */
  async create(caller: Caller, projectId: string, body: MetricBody & { name: string; slug: string }) {
    const project = await projectFor(this.store, caller, projectId, "metrics:write");
    checkJson(body);
    return present(
      await this.writer.run(async (tx) => {
        const existing = await definitionBySlug(tx, TABLE, project.id, body.slug, true);
        if (existing && existing.deleted_at === null)
          throw conflict("A metric with this slug already exists in this project");
        const now = new Date();
        const row: DefinitionRow = {
          id: existing?.id ?? newId(),
          project_id: project.id,
          name: body.name,
          slug: body.slug,
          description: body.description ?? null,
          documentation: body.documentation ?? null,
          schema_definition: body.schema_definition ?? null,
          aggregation_rules: body.aggregation_rules ?? null,
          status: "active",
          created_at: existing?.created_at ?? now,
          updated_at: now,
          deleted_at: null,
        };
        return async (tx) => {
          await saveDefinition(tx, TABLE, row);
          return stringifyJson(row);
        };
      }),
    );
  }

  async update(caller: Caller, projectId: string, slug: string, body: MetricBody & { status?: string }) {
    const project = await projectFor(this.store, caller, projectId, "metrics:write");
    if (Object.values(body).every((v) => v === undefined))
      throw badRequest("At least one field to update is required");
    checkJson(body);
    return present(
      await this.writer.run(async (tx) => {
        const row: Record<string, unknown> = parsedRow(await this.live(tx, project.id, slug));
        for (const field of FIELDS) if (body[field] !== undefined) row[field] = body[field];
        if (body.status !== undefined) row.status = body.status;
        row.updated_at = new Date();
        return async (tx) => {
          await saveDefinition(tx, TABLE, row as DefinitionRow);
          return stringifyJson(row as DefinitionRow);
        };
      }),
    );
  }

  async remove(caller: Caller, projectId: string, slug: string) {
    const project = await projectFor(this.store, caller, projectId, "metrics:write");
    await this.writer.run(async (tx) => {
      const row = { ...parsedRow(await this.live(tx, project.id, slug)), deleted_at: new Date() };
      return (tx) => saveDefinition(tx, TABLE, row);
    });
    return { deleted: true as const };
  }

  /**
   * `GET …/metrics/:slug/query`: counts per phase, success rate, durations and the top errors over
   * the filters (the last 24 hours unless `since`), optionally grouped. A slug needs no definition.
   */
  async query(caller: Caller, projectId: string, slug: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "metrics:read");
    const f = parseAnalyticsFilters(q, [project.id], DAY_MS, now);
    const group = q.group_by ? groupOf(q.group_by) : undefined;
    const aggregation = await this.store.snapshot(async (tx) => {
      f.claims = await anyClaims(tx, f.projectIds);
      const stats = await metricStats(tx, f, slug);
      const abandoned = await abandonedStarts(tx, f, slug, new Date(now - ABANDON_AFTER_MS));
      const errors = await errorBreakdown(tx, f, slug, ERRORS_SHOWN);
      const groups = group ? await groupedStats(tx, f, slug, group, GROUPS_SHOWN) : undefined;
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
    const rows = await this.store.snapshot((tx) =>
      metricEvents(tx, f, slug, { phase: q.phase, trackingId: q.tracking_id, cursor }, limit + 1),
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
    const rows = await this.store.snapshot((tx) => completionsBySlug(tx, f));
    return { stats: rows.map(({ project_id: _, ...r }) => statsEntry(r)) };
  }

  /** `GET /v1/metric-stats`: the same over the caller's teams (or one team or project of them). */
  async teamStats(caller: Caller, q: Query, now = Date.now()) {
    const projects = await projectsInScope(this.store, caller, "metrics:read", q);
    if (projects.length === 0) return { stats: [] };
    const f = parseAnalyticsFilters(q, projects, DAY_MS, now);
    const rows = await this.store.snapshot((tx) => completionsBySlug(tx, f));
    return { stats: rows.map(statsEntry) };
  }

  /** `GET /v1/metrics/completions/count`: complete and start events over the caller's scope. */
  async completions(caller: Caller, q: Query, now = Date.now()) {
    const projects = await projectsInScope(this.store, caller, "metrics:read", q);
    if (projects.length === 0) return { count: 0, started: 0 };
    const f = parseAnalyticsFilters(q, projects, DAY_MS, now);
    return this.store.snapshot((tx) => completionTotals(tx, f));
  }

  private async live(tx: Tx, projectId: string, slug: string): Promise<DefinitionRow> {
    const row = await definitionBySlug(tx, TABLE, projectId, slug);
    if (!row) throw metricNotFound();
    return row;
  }
}

interface MetricBody {
  name?: string;
  description?: string | null;
  documentation?: string | null;
  schema_definition?: unknown;
  aggregation_rules?: unknown;
}
const FIELDS = ["name", "description", "documentation", "schema_definition", "aggregation_rules"] as const;

const metricNotFound = () => notFound("Metric not found");

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

function groupOf(value: string): MetricGroup {
  if (value.startsWith("experiment:")) {
    experimentName(value.slice("experiment:".length), "group_by");
    return value as MetricGroup;
  }
  if (value in METRIC_GROUPS) return value as MetricGroup;
  throw badRequest(`Invalid group_by value: ${value}`);
}

/** JSON columns as the database gives them back (text), for present(). */
const stringifyJson = (row: DefinitionRow): DefinitionRow => ({
  ...row,
  schema_definition: row.schema_definition === null ? null : JSON.stringify(row.schema_definition),
  aggregation_rules: row.aggregation_rules === null ? null : JSON.stringify(row.aggregation_rules),
});

/** A definition read back, its JSON columns as values again (to be written). */
const parsedRow = (row: DefinitionRow): DefinitionRow => ({
  ...row,
  schema_definition: parseJson(row.schema_definition),
  aggregation_rules: parseJson(row.aggregation_rules),
});

const parseJson = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : (value ?? null));

function present(row: DefinitionRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    documentation: (row.documentation as string | null) ?? null,
    schema_definition: parseJson(row.schema_definition),
    aggregation_rules: parseJson(row.aggregation_rules),
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
