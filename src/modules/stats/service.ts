import { ApiError, notFound } from "../../lib/errors";
import type { Database } from "../../store/db";
import { type Caller, permissionsIn } from "../access/caller";
import { listProjects } from "../projects/repository";
import { findTeamBySlug } from "../teams/repository";
import type { StatsParams } from "./params";
import { parseStats, type StatsQuery } from "./params";
import type { StatsRow } from "./repository";

const iso = (epochS: number) => `${new Date(epochS * 1000).toISOString().slice(0, 19)}Z`;

export interface StatsGroup {
  by: Record<string, string>;
  totals: Record<string, number>;
  series?: Record<string, number[]>;
}

/** Sentry's stats_v2 over Roost's outcomes. */
export class StatsService {
  constructor(
    /** Teams and projects (the control plane). */
    private readonly store: Database,
    /** Outcome sums: the embedded store's (repository.ts) or ClickHouse's (repository.clickhouse.ts). */
    private readonly sumOutcomes: (projectIds: readonly string[], p: StatsParams) => Promise<StatsRow[]>,
  ) {}

  async query(caller: Caller, slug: string, q: StatsQuery, now = Math.floor(Date.now() / 1000)) {
    const team = await findTeamBySlug(this.store, slug);
    if (!team) throw notFound("The requested resource does not exist");
    const held = permissionsIn(caller, team.id) ?? [];
    if (!held.some((p) => p === "org:read" || p === "org:write" || p === "org:admin")) {
      throw new ApiError(403, "You do not have permission to perform this action.");
    }
    const teamProjects = (await listProjects(this.store, [team.id])).map((p) => p.id);
    const p = parseStats(q, teamProjects, now);
    const rows = await this.sumOutcomes(p.projectIds ?? teamProjects, p);

    const byProject = p.groupBy.includes("project");
    const buckets = byProject
      ? []
      : Array.from({ length: (p.end - p.start) / p.intervalS }, (_, i) => p.start + i * p.intervalS);
    const groups = new Map<string, StatsGroup>();
    const groupOf = (dims: string[]) => {
      const key = JSON.stringify(dims);
      let group = groups.get(key);
      if (!group) {
        group = {
          by: Object.fromEntries(p.groupBy.map((g, i) => [g, dims[i] as string])),
          totals: Object.fromEntries(p.fields.map((f) => [f, 0])),
          ...(byProject
            ? {}
            : { series: Object.fromEntries(p.fields.map((f) => [f, buckets.map(() => 0)])) }),
        };
        groups.set(key, group);
      }
      return group;
    };
    if (p.groupBy.length === 0) groupOf([]);
    for (const row of rows) {
      const group = groupOf(row.dims);
      for (const field of p.fields) {
        const value = field === "sum(quantity)" ? row.quantity : row.times_seen;
        group.totals[field] = (group.totals[field] ?? 0) + value;
        if (group.series && row.bucket !== null) {
          const series = group.series[field] as number[];
          const index = (row.bucket - p.start) / p.intervalS;
          series[index] = (series[index] ?? 0) + value;
        }
      }
    }
    return {
      start: iso(p.start),
      end: iso(p.end),
      ...(byProject ? {} : { intervals: buckets.map(iso) }),
      groups: [...groups.values()].sort((a, b) => JSON.stringify(a.by).localeCompare(JSON.stringify(b.by))),
    };
  }
}
