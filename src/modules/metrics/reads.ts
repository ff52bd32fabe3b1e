import type { Store } from "../../store/db";
import type { ClaimsRead, Reads } from "../analytics/reads";
import { type AnalyticsFilters, anyClaims } from "../analytics/repository";
import type { MetricEventRow, MetricGroup, StatsRow } from "./repository";
import * as sql from "./repository";

/** What a metric events page may narrow by beyond the filters, and where it starts. */
export interface MetricPageOptions {
  phase?: string;
  trackingId?: string;
  cursor?: { us: string; id: string };
}

/** The queries of the metrics API over the metric events (repository.ts, repository.clickhouse.ts). */
export interface MetricReads extends ClaimsRead {
  metricStats(f: AnalyticsFilters, slug: string): Promise<StatsRow>;
  abandonedStarts(f: AnalyticsFilters, slug: string, before: Date): Promise<number>;
  errorBreakdown(
    f: AnalyticsFilters,
    slug: string,
    limit: number,
  ): Promise<Array<{ error: string; count: number }>>;
  groupedStats(
    f: AnalyticsFilters,
    slug: string,
    group: MetricGroup,
    limit: number,
  ): Promise<Array<StatsRow & { value: string }>>;
  metricEvents(
    f: AnalyticsFilters,
    slug: string,
    more: MetricPageOptions,
    limit: number,
  ): Promise<MetricEventRow[]>;
  completionsBySlug(
    f: AnalyticsFilters,
  ): Promise<Array<{ project_id: string; slug: string; complete_count: number; fail_count: number }>>;
  completionTotals(f: AnalyticsFilters): Promise<{ count: number; started: number }>;
}

/** The embedded store's: its metric_events table, in one snapshot. */
export const embeddedMetricReads =
  (store: Store): Reads<MetricReads> =>
  (work) =>
    store.snapshot((tx) =>
      work({
        anyClaims: (projectIds) => anyClaims(tx, projectIds),
        metricStats: (f, slug) => sql.metricStats(tx, f, slug),
        abandonedStarts: (f, slug, before) => sql.abandonedStarts(tx, f, slug, before),
        errorBreakdown: (f, slug, limit) => sql.errorBreakdown(tx, f, slug, limit),
        groupedStats: (f, slug, group, limit) => sql.groupedStats(tx, f, slug, group, limit),
        metricEvents: (f, slug, more, limit) => sql.metricEvents(tx, f, slug, more, limit),
        completionsBySlug: (f) => sql.completionsBySlug(tx, f),
        completionTotals: (f) => sql.completionTotals(tx, f),
      }),
    );
