import { t } from "elysia";

const Many = t.Optional(t.Union([t.String(), t.Array(t.String())]));
/** Checked by hand in params.ts, so each failure has Sentry's words; this documents the names. */
export const StatsV2Query = t.Object({
  field: Many,
  groupBy: Many,
  project: Many,
  category: Many,
  outcome: Many,
  reason: t.Optional(t.String()),
  interval: t.Optional(t.String()),
  statsPeriod: t.Optional(t.String()),
  start: t.Optional(t.String()),
  end: t.Optional(t.String()),
});
/** The error body of Sentry's API family. */
export const Detail = t.Object({ detail: t.String() });
/** A stats_v2 answer: the range, the interval starts, and one group per combination of groupBy values. */
export const StatsResponse = t.Object({
  start: t.String(),
  end: t.String(),
  intervals: t.Optional(t.Array(t.String())),
  groups: t.Array(
    t.Object({
      by: t.Record(t.String(), t.String()),
      totals: t.Record(t.String(), t.Number()),
      series: t.Optional(t.Record(t.String(), t.Array(t.Number()))),
    }),
  ),
});

export const SlugParams = t.Object({ slug: t.String() });
