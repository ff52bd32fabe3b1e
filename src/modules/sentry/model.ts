import { t } from "elysia";

export const SentryParams = t.Object({
  projectId: t.String({ description: "the project's sentry_id, the number ending its DSN" }),
});

/** What Sentry's SDKs put in the query string; anything else there is ignored. */
export const SentryQuery = t.Object(
  {
    sentry_key: t.Optional(t.String()),
    sentry_version: t.Optional(t.String()),
    sentry_client: t.Optional(t.String()),
  },
  { additionalProperties: true },
);

export const SentryAccepted = t.Object({
  id: t.Union([t.String(), t.Null()], { description: "the envelope's event_id" }),
});

export const SentryError = t.Object({ detail: t.String() });
