import { t } from "elysia";
import { ENVIRONMENTS, LEVELS } from "../../lib/vocab";

/**
 * The request bodies, for the OpenAPI description. Ingest reads its body itself (gzip, size cap)
 * and checks each event on its own, so one bad event does not refuse the batch.
 */
const Attributes = t.Record(t.String(), t.String(), {
  description: "string → string, at most 50 keys; values cut to 200 characters",
});
export const IngestEvent = t.Object({
  client_event_id: t.String({
    minLength: 1,
    maxLength: 128,
    description: "dedup key within the app (SDKs send a UUID)",
  }),
  session_id: t.String({ minLength: 1, maxLength: 128 }),
  user_id: t.Optional(t.String({ maxLength: 255 })),
  level: t.Union(LEVELS.map((l) => t.Literal(l))),
  source_module: t.Optional(t.String({ maxLength: 255 })),
  message: t.String({ minLength: 1, maxLength: 2000 }),
  screen_name: t.Optional(t.String({ maxLength: 255 })),
  custom_attributes: t.Optional(Attributes),
  experiments: t.Optional(Attributes),
  environment: t.String({ description: `must fit the app's platform: ${ENVIRONMENTS.join(", ")}` }),
  os_version: t.Optional(t.String({ maxLength: 255 })),
  app_version: t.Optional(t.String({ maxLength: 255 })),
  sdk_name: t.Optional(t.String({ maxLength: 255 })),
  sdk_version: t.Optional(t.String({ maxLength: 255 })),
  build_number: t.Optional(t.String({ maxLength: 255 })),
  device_model: t.Optional(t.String({ maxLength: 255 })),
  locale: t.Optional(t.String({ maxLength: 255 })),
  is_dev: t.Optional(t.Boolean()),
  timestamp: t.Optional(
    t.String({
      description: "ISO-8601; default: time received. Ingest: within 30 days back and 5 minutes ahead",
    }),
  ),
});

export const IngestBody = t.Object({
  bundle_id: t.Optional(t.String({ description: "required when the app has a bundle_id" })),
  events: t.Array(IngestEvent, { minItems: 1, maxItems: 1000 }),
});

const Errors = t.Array(t.Object({ index: t.Integer(), message: t.String() }));

export const IngestResponse = t.Object({
  accepted: t.Integer({ description: "events stored" }),
  rejected: t.Integer({ description: "events that failed validation (see errors)" }),
  duplicates: t.Integer({
    description: "events whose client_event_id was already stored in the last 7 days",
  }),
  filtered: t.Integer({ description: "events dropped by the project's inbound filters" }),
  errors: Errors,
});

export const ImportResponse = t.Object({
  accepted: t.Integer({ description: "new events stored" }),
  updated: t.Integer({ description: "stored events replaced by a newer copy" }),
  rejected: t.Integer(),
  filtered: t.Integer(),
  errors: Errors,
});

export const ClientReportBody = t.Object({
  discarded_events: t.Array(
    t.Object({ reason: t.String(), category: t.String(), quantity: t.Integer({ minimum: 0 }) }),
    { maxItems: 1000 },
  ),
  timestamp: t.Optional(t.String()),
});

export const ClientReportResponse = t.Object({ recorded: t.Integer() });
