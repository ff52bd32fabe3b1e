import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { PLATFORMS } from "../../lib/vocab";
import { CreatedKey } from "../keys/model";

export { PLATFORMS, type Platform } from "../../lib/vocab";

export const App = t.Object({
  id: Uuid,
  project_id: Uuid,
  team_id: Uuid,
  name: t.String(),
  platform: oneOf(PLATFORMS),
  bundle_id: t.Union([t.String(), t.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const BundleId = t.String({ minLength: 1, maxLength: 255 });
const NullableBundleId = t.Union([BundleId, t.Null()], {
  error: "bundle_id must be 1 to 255 characters, or null",
});

export const CreateAppBody = t.Object({
  project_id: Uuid,
  name: t.String({ minLength: 1, maxLength: 200 }),
  platform: oneOf(PLATFORMS, { error: "platform must be one of apple, android, web, backend" }),
  bundle_id: t.Optional(NullableBundleId),
});
export type CreateAppBody = typeof CreateAppBody.static;

export const PatchAppBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  bundle_id: t.Optional(NullableBundleId),
});
export type PatchAppBody = typeof PatchAppBody.static;

export const CreatedApp = t.Composite([
  App,
  t.Object({
    client_key: t.Composite([
      CreatedKey,
      t.Object({
        dsn: t.String({ description: "the key as a Sentry DSN: Sentry's SDKs send to Roost with it" }),
        sentry_init: t.String({ description: "a ready Sentry.init({ dsn }) line" }),
      }),
    ]),
  }),
]);

export const ListAppsQuery = t.Object({ project_id: t.Optional(Uuid) });
