import { t } from "elysia";
import { NullableTimestamp, Timestamp, Uuid } from "../../lib/schemas";

const Nullable = t.Union([t.String(), t.Null()]);

export const UserApp = t.Object({
  app_id: Uuid,
  app_name: t.String(),
  first_seen_at: Timestamp,
  last_seen_at: Timestamp,
  event_count: t.Integer(),
});

/** Owlmetry's AppUser, with Roost's event_count; revenue and preferred language are not kept (null). */
export const AppUser = t.Object({
  id: Uuid,
  project_id: Uuid,
  user_id: t.String(),
  is_anonymous: t.Boolean(),
  claimed_from: t.Union([t.Array(t.String()), t.Null()]),
  properties: t.Union([t.Record(t.String(), t.String()), t.Null()]),
  apps: t.Array(UserApp),
  first_seen_at: Timestamp,
  last_seen_at: Timestamp,
  event_count: t.Integer({
    description: "events stored under the user (and the anonymous ids they claimed)",
  }),
  last_country_code: Nullable,
  last_app_version: Nullable,
  last_sdk_name: Nullable,
  last_sdk_version: Nullable,
  last_locale: Nullable,
  last_preferred_language: Nullable,
  total_revenue_usd_cents: t.Union([t.Integer(), t.Null()]),
  revenue_synced_at: NullableTimestamp,
  is_dev: t.Boolean(),
});

export const AppUserList = t.Object({
  users: t.Array(AppUser),
  cursor: t.Union([t.String(), t.Null()]),
  has_more: t.Boolean(),
});

const optional = (description: string) => t.Optional(t.String({ description }));
export const AppUserQuery = t.Object({
  team_id: optional("only this team's users"),
  project_id: optional("only this project's users"),
  app_id: optional("only users seen in this app"),
  search: optional("part of the user id, any case"),
  user_id: optional("exactly this user id"),
  is_anonymous: optional("true: only anonymous ids (owl_anon_…); false: only the others"),
  billing_status: optional("paid, trial, free (comma-separated), from RevenueCat's rc_* properties"),
  data_mode: optional("production (default), development, all"),
  since: optional("last seen at or after (relative like 7d, or ISO-8601)"),
  until: optional("last seen at or before"),
  sort: optional("last_seen (default) or first_seen, newest first"),
  cursor: optional("from the previous page"),
  limit: optional("1 to 200, default 50"),
});
