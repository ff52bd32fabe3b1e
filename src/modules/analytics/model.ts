import { t } from "elysia";
import { SLUG_PATTERN } from "./derive";

/** A definition's slug, with Owlmetry's message. */
export const Slug = t.String({
  pattern: SLUG_PATTERN,
  error: "slug must contain only lowercase letters, numbers, and hyphens",
});

/** What metric and funnel completion counts answer (Owlmetry's CompletionsCountResponse). */
export const CompletionsCount = t.Object({
  count: t.Integer({ description: "Completions (metrics: complete events; funnels: last-step events)" }),
  started: t.Integer({ description: "Starts (metrics: start events; funnels: first-step events)" }),
});

/** The scope of the team-wide counts: the caller's teams, narrowed to a team, project or app. */
export const TeamQuery = t.Object({
  team_id: t.Optional(t.String()),
  project_id: t.Optional(t.String()),
  app_id: t.Optional(t.String()),
  since: t.Optional(t.String()),
  until: t.Optional(t.String()),
  data_mode: t.Optional(t.String()),
});
