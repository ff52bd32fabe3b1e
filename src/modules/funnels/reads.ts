import type { Store } from "../../store/db";
import type { ClaimsRead, Reads } from "../analytics/reads";
import { type AnalyticsFilters, anyClaims } from "../analytics/repository";
import type { FunnelGroup, StepCounts, StepFilter } from "./repository";
import * as sql from "./repository";

/** The queries of the funnels API over the step events (repository.ts, repository.clickhouse.ts). */
export interface FunnelReads extends ClaimsRead {
  funnelCounts(
    f: AnalyticsFilters,
    steps: readonly StepFilter[],
    group: FunnelGroup | null,
  ): Promise<StepCounts[]>;
  stepEvents(f: AnalyticsFilters, step: StepFilter): Promise<number>;
  experimentsSeen(f: AnalyticsFilters): Promise<Array<{ name: string; variants: string[] }>>;
}

/** The embedded store's: its funnel_events (and metric_events) tables, in one snapshot. */
export const embeddedFunnelReads =
  (store: Store): Reads<FunnelReads> =>
  (work) =>
    store.snapshot((tx) =>
      work({
        anyClaims: (projectIds) => anyClaims(tx, projectIds),
        funnelCounts: (f, steps, group) => sql.funnelCounts(tx, f, steps, group),
        stepEvents: (f, step) => sql.stepEvents(tx, f, step),
        experimentsSeen: (f) => sql.experimentsSeen(tx, f),
      }),
    );
