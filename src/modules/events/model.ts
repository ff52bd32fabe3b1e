import { t } from "elysia";
import { Timestamp, Uuid } from "../../lib/schemas";

const Str = t.Union([t.String(), t.Null()]);
const Attributes = t.Record(t.String(), t.String());

/** Exactly the seed's fields. */
export const Event = t.Object({
  id: Uuid,
  app_id: Uuid,
  client_event_id: t.String(),
  session_id: t.String(),
  user_id: Str,
  api_key_id: t.Union([Uuid, t.Null()]),
  level: t.String(),
  source_module: Str,
  message: t.String(),
  screen_name: Str,
  custom_attributes: Attributes,
  environment: t.String(),
  os_version: Str,
  app_version: Str,
  sdk_name: Str,
  sdk_version: Str,
  build_number: Str,
  device_model: Str,
  locale: Str,
  country_code: Str,
  is_dev: t.Boolean(),
  experiments: t.Union([Attributes, t.Null()]),
  timestamp: Timestamp,
  received_at: Timestamp,
});

export const EventDetail = t.Composite([
  Event,
  t.Object({
    project_id: Uuid,
    attachments: t.Array(
      t.Object({
        id: Uuid,
        original_filename: t.String(),
        content_type: t.String(),
        size_bytes: t.Integer(),
        uploaded_at: Timestamp,
      }),
    ),
    kind: t.Optional(
      t.String({
        description:
          "the Sentry item type it came as (event, transaction, log, check_in, feedback); absent for Owlmetry events",
      }),
    ),
    payload: t.Optional(
      t.Union([t.Record(t.String(), t.Unknown()), t.Null()], {
        description: "the Sentry item's whole JSON: exception and stack frames, breadcrumbs, contexts, spans",
      }),
    ),
  }),
]);

const filterParams = {
  team_id: t.Optional(t.String({ description: "uuid" })),
  project_id: t.Optional(t.String({ description: "uuid" })),
  app_id: t.Optional(t.String({ description: "uuid; wins over project_id and team_id" })),
  level: t.Optional(t.String({ description: "info, debug, warn, error, or a comma list" })),
  user_id: t.Optional(t.String()),
  session_id: t.Optional(t.String()),
  screen_name: t.Optional(t.String()),
  environment: t.Optional(t.String()),
  since: t.Optional(t.String({ description: "inclusive: 30s, 30m, 12h, 7d, 1w ago, or ISO-8601" })),
  until: t.Optional(t.String({ description: "exclusive: relative or ISO-8601" })),
  data_mode: t.Optional(t.String({ description: "production (default), development or all" })),
  issue_id: t.Optional(t.String({ description: "uuid: only the errors of this issue" })),
};

/** Query strings are checked by hand (params.ts) so each failure has the contract's message. */
export const CountQuery = t.Object(filterParams);
export const ListQuery = t.Object({
  ...filterParams,
  cursor: t.Optional(t.String({ description: "from the previous page, with the same order" })),
  limit: t.Optional(t.String({ description: "1..200, default 50" })),
  order: t.Optional(t.String({ description: "desc (default) or asc, by (timestamp, id)" })),
});

export const ListResponse = t.Object({
  events: t.Array(Event),
  cursor: t.Union([t.String(), t.Null()]),
  has_more: t.Boolean(),
});

export const CountResponse = t.Object({
  count: t.Integer(),
  unique_users: t.Integer(),
  unique_sessions: t.Integer(),
});
