import { t } from "elysia";
import { NullableTimestamp, oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { KEY_KINDS, PERMISSIONS } from "../access/permissions";

/** A key as every response shows it: never the secret, only a short prefix to tell keys apart. */
export const Key = t.Object({
  id: Uuid,
  kind: oneOf(KEY_KINDS),
  name: t.String(),
  prefix: t.String(),
  team_id: Uuid,
  app_id: t.Union([Uuid, t.Null()]),
  permissions: t.Array(oneOf(PERMISSIONS)),
  events_per_minute: t.Union([t.Integer(), t.Null()]),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
});

/** The one response that carries the secret: the answer to its creation. */
export const CreatedKey = t.Composite([
  Key,
  t.Object({
    secret: t.String(),
    dsn: t.Optional(
      t.String({ description: "a client key as a Sentry DSN: Sentry's SDKs send to Roost with it" }),
    ),
    sentry_init: t.Optional(t.String({ description: "a ready Sentry.init({ dsn }) line" })),
  }),
]);

const permissionsError = `permissions must be a list of distinct values from ${PERMISSIONS.join(", ")}`;

export const CreateKeyBody = t.Object({
  kind: oneOf(KEY_KINDS, { error: "kind must be one of client, agent, import" }),
  name: t.String({ minLength: 1, maxLength: 200 }),
  app_id: t.Optional(Uuid),
  team_id: t.Optional(Uuid),
  permissions: t.Optional(
    t.Array(oneOf(PERMISSIONS, { error: permissionsError }), { uniqueItems: true, error: permissionsError }),
  ),
  expires_in_days: t.Optional(
    t.Integer({ minimum: 1, maximum: 3650, error: "expires_in_days must be a whole number from 1 to 3650" }),
  ),
  events_per_minute: t.Optional(
    t.Integer({ minimum: 1, error: "events_per_minute must be a positive whole number" }),
  ),
});
export type CreateKeyBody = typeof CreateKeyBody.static;

export const ListKeysQuery = t.Object({ team_id: t.Optional(Uuid), app_id: t.Optional(Uuid) });
