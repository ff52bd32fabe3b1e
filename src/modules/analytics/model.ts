import { t } from "elysia";

/** What metric and funnel completion counts answer (Owlmetry's CompletionsCountResponse). */
export const CompletionsCount = t.Object({
  count: t.Integer({ description: "Completions (metrics: complete events; funnels: last-step events)" }),
  started: t.Integer({ description: "Starts (metrics: start events; funnels: first-step events)" }),
});
