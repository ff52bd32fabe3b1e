import { t } from "elysia";

export const ReleaseHealthQuery = t.Object({
  team_id: t.Optional(t.String({ description: "uuid" })),
  project_id: t.Optional(t.String({ description: "uuid" })),
  app_id: t.Optional(t.String({ description: "uuid; wins over project_id and team_id" })),
  environment: t.Optional(t.String({ description: "Sentry's environment, such as production" })),
  since: t.Optional(t.String({ description: "inclusive, default 30d: relative (30m, 12h, 7d) or ISO-8601" })),
  until: t.Optional(t.String({ description: "exclusive: relative or ISO-8601" })),
});

const Count = t.Integer({ minimum: 0 });

export const ReleaseHealth = t.Object({
  release: t.String(),
  environment: t.Union([t.String(), t.Null()]),
  sessions: t.Integer({ description: "sessions started" }),
  exited: Count,
  errored: Count,
  crashed: Count,
  abnormal: Count,
  crash_free_rate: t.Union([t.Number(), t.Null()], {
    description: "1 - crashed / sessions; null before any session started",
  }),
  first_seen: t.String(),
  last_seen: t.String(),
});

export const ReleaseHealthResponse = t.Object({ releases: t.Array(ReleaseHealth) });
