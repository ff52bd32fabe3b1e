import { badRequest } from "../../lib/errors";
import { isoRequired } from "../../lib/time";
import type { Database, SharedWriter } from "../../store/db";
import type { Caller } from "../access/caller";
import { Definitions } from "../analytics/definitions";
import { parseStepMessage } from "../analytics/derive";
import { DAY_MS, groupParam, parseAnalyticsFilters, round } from "../analytics/params";
import type { Reads } from "../analytics/reads";
import { type DefinitionRow, definitionsOf } from "../analytics/repository";
import { projectFor, projectsInScope } from "../projects/scope";
import { FUNNEL_MODES, MAX_STEPS } from "./model";
import type { FunnelReads } from "./reads";
import { FUNNEL_GROUPS, type FunnelGroup, type StepCounts, type StepFilter } from "./repository";

type Query = Record<string, string | undefined>;
const TABLE = "funnel_definitions";
/** Owlmetry's default range of a funnel query. */
const DEFAULT_RANGE_MS = 30 * DAY_MS;

export interface Step {
  name: string;
  event_filter: StepFilter;
}

/** Owlmetry's funnels: definitions per project, and conversion over the step events (decision 012). */
export class FunnelsService {
  private readonly definitions: Definitions;

  constructor(
    private readonly store: Database,
    writer: SharedWriter,
    /** The step events: the embedded store's derived table, or ClickHouse's (decision 017). */
    private readonly analytics: Reads<FunnelReads>,
  ) {
    this.definitions = new Definitions(store, writer, "funnel_definitions", {
      read: "funnels:read",
      write: "funnels:write",
      missing: "Funnel not found",
      taken: "A funnel with this slug already exists in this project",
    });
  }

  async list(caller: Caller, projectId: string) {
    return { funnels: (await this.definitions.list(caller, projectId)).map(present) };
  }

  get = async (caller: Caller, projectId: string, slug: string) =>
    present(await this.definitions.get(caller, projectId, slug));

  byId = async (caller: Caller, id: string) => present(await this.definitions.byId(caller, id));

  async create(
    caller: Caller,
    projectId: string,
    body: { name: string; slug: string; description?: string | null; steps: unknown[] },
  ) {
    const steps = checkSteps(body.steps);
    return present(
      await this.definitions.create(caller, projectId, body.slug, {
        name: body.name,
        description: body.description ?? null,
        steps,
      }),
    );
  }

  async update(
    caller: Caller,
    projectId: string,
    slug: string,
    body: { name?: string; description?: string | null; steps?: unknown[] },
  ) {
    if (body.name === undefined && body.description === undefined && body.steps === undefined)
      throw badRequest("At least one field to update is required");
    const steps = body.steps === undefined ? undefined : checkSteps(body.steps);
    const change = Object.fromEntries(
      Object.entries({ name: body.name, description: body.description, steps }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    return present(await this.definitions.update(caller, projectId, slug, () => change));
  }

  remove = (caller: Caller, projectId: string, slug: string) =>
    this.definitions.remove(caller, projectId, slug);

  /**
   * `GET …/funnels/:slug/query`: users per step over the range (30 days unless `since`), in open
   * (the default) or closed mode, optionally broken down by a dimension.
   */
  async query(caller: Caller, projectId: string, slug: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "funnels:read");
    const f = parseAnalyticsFilters(q, [project.id], DEFAULT_RANGE_MS, now);
    const mode = (q.mode ?? "open") as (typeof FUNNEL_MODES)[number];
    if (!FUNNEL_MODES.includes(mode)) throw badRequest("mode must be open or closed");
    const group = q.group_by ? groupParam<FunnelGroup>(q.group_by, FUNNEL_GROUPS) : null;
    const funnel = await this.store.snapshot((tx) => this.definitions.live(tx, project.id, slug));
    return this.analytics(async (reads) => {
      f.claims = await reads.anyClaims(f.projectIds);
      const steps = stepsOf(funnel);
      const filters = steps.map((s) => s.event_filter);
      const [overall] = await reads.funnelCounts(f, filters, null);
      const groups = group ? await reads.funnelCounts(f, filters, group) : null;
      const analyticsOf = (counts: StepCounts | undefined) => stepAnalytics(steps, counts, mode);
      const stepsOverall = analyticsOf(overall);
      return {
        slug,
        analytics: {
          funnel: present(funnel),
          mode,
          total_users: stepsOverall[0]?.unique_users ?? 0,
          steps: stepsOverall,
          ...(groups && group
            ? {
                breakdown: groups.map((g) => {
                  const groupSteps = analyticsOf(g);
                  return {
                    key: group,
                    value: g.value ?? "",
                    total_users: groupSteps[0]?.unique_users ?? 0,
                    steps: groupSteps,
                  };
                }),
              }
            : {}),
        },
      };
    });
  }

  /**
   * `GET /v1/funnels/completions/count`: events matching the last step (completions) and the first
   * step (starts) of every live funnel in the caller's scope, each over its own project.
   */
  async completions(caller: Caller, q: Query, now = Date.now()) {
    const projects = await projectsInScope(this.store, caller, "funnels:read", q);
    if (projects.length === 0) return { count: 0, started: 0 };
    const scope = parseAnalyticsFilters(q, projects, DAY_MS, now);
    const funnels = await this.store.snapshot((tx) => definitionsOf(tx, TABLE, projects));
    return this.analytics(async (reads) => {
      let count = 0;
      let started = 0;
      for (const funnel of funnels) {
        const steps = stepsOf(funnel);
        const f = { ...scope, projectIds: [funnel.project_id] };
        count += await reads.stepEvents(f, (steps.at(-1) as Step).event_filter);
        started += await reads.stepEvents(f, (steps[0] as Step).event_filter);
      }
      return { count, started };
    });
  }

  /** `GET /v1/projects/:projectId/experiments`: names and variants seen on metric and step events. */
  async experiments(caller: Caller, projectId: string, q: Query, now = Date.now()) {
    const project = await projectFor(this.store, caller, projectId, "funnels:read");
    const f = parseAnalyticsFilters(q, [project.id], DEFAULT_RANGE_MS, now);
    return { experiments: await this.analytics((reads) => reads.experimentsSeen(f)) };
  }
}

const stepsOf = (row: DefinitionRow): Step[] => row.steps as Step[];

/**
 * Owlmetry's step checks and messages. A step filter names a step_name and/or a screen_name (an
 * old funnel's `message: "track:<name>"` or `"step:<name>"` is read as its step name), plus
 * optional attribute values.
 */
function checkSteps(steps: unknown[]): Step[] {
  if (steps.length === 0) throw badRequest("steps must be a non-empty array");
  if (steps.length > MAX_STEPS) throw badRequest(`Maximum ${MAX_STEPS} steps allowed`);
  return steps.map((step, i) => {
    const at = `steps[${i}]`;
    if (!step || typeof step !== "object" || Array.isArray(step))
      throw badRequest(`${at}: must be an object`);
    const { name, event_filter: filter } = step as { name?: unknown; event_filter?: unknown };
    if (typeof name !== "string" || name === "") throw badRequest(`${at}: name is required`);
    if (!filter || typeof filter !== "object" || Array.isArray(filter))
      throw badRequest(`${at}: event_filter is required`);
    const { step_name, screen_name, message, attributes } = filter as Record<string, unknown>;
    const text = (value: unknown, field: string) => {
      if (value === undefined || value === null || value === "") return undefined;
      if (typeof value !== "string") throw badRequest(`${at}: event_filter.${field} must be a string`);
      return value;
    };
    const out: StepFilter = {};
    const stepName = text(step_name, "step_name") ?? fromMessage(text(message, "message"), at);
    if (stepName !== undefined) out.step_name = stepName;
    const screen = text(screen_name, "screen_name");
    if (screen !== undefined) out.screen_name = screen;
    if (out.step_name === undefined && out.screen_name === undefined)
      throw badRequest(`${at}: event_filter must have at least step_name or screen_name`);
    if (attributes !== undefined && attributes !== null) {
      if (typeof attributes !== "object" || Array.isArray(attributes))
        throw badRequest(`${at}: event_filter.attributes must be an object of strings`);
      const entries = Object.entries(attributes as Record<string, unknown>);
      if (entries.some(([k, v]) => typeof v !== "string" || /["\\]/.test(k)))
        throw badRequest(`${at}: event_filter.attributes must map names (no quotes) to strings`);
      if (entries.length > 0) out.attributes = Object.fromEntries(entries) as Record<string, string>;
    }
    return { name, event_filter: out };
  });
}

function fromMessage(message: string | undefined, at: string): string | undefined {
  if (message === undefined) return undefined;
  const name = parseStepMessage(message);
  if (name === null) throw badRequest(`${at}: event_filter.message must be step:<name>`);
  return name;
}

/** Owlmetry's per-step analytics (percentages to one decimal), plus the median time to each step. */
function stepAnalytics(steps: readonly Step[], counts: StepCounts | undefined, mode: "open" | "closed") {
  const users = steps.map((_, i) => (counts ? ((mode === "open" ? counts.open : counts.closed)[i] ?? 0) : 0));
  const first = users[0] ?? 0;
  return steps.map((step, i) => {
    const n = users[i] ?? 0;
    const previous = i > 0 ? (users[i - 1] ?? 0) : n;
    const drop = i > 0 ? previous - n : 0;
    const median = counts?.medianMs[i] ?? null;
    return {
      step_index: i,
      step_name: step.name,
      unique_users: n,
      percentage: first > 0 ? round((n / first) * 100, 1) : 0,
      drop_off_count: drop,
      drop_off_percentage: i > 0 && previous > 0 ? round((drop / previous) * 100, 1) : 0,
      median_time_from_previous_ms: median === null ? null : round(median, 2),
    };
  });
}

function present(row: DefinitionRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    steps: stepsOf(row),
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
  };
}
