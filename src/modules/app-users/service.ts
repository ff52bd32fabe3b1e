import { notFound } from "../../lib/errors";
import { isUuid } from "../../lib/ids";
import type { Database, Tx } from "../../store/db";
import type { Caller } from "../access/caller";
import type { EventsService } from "../events/service";
import { isAnonymousId } from "../identity/claims";
import type { AppUser } from "./model";
import { encodeUserCursor, parseUserQuery } from "./params";
import {
  appsOfUsers,
  claimsOfUsers,
  findUser,
  listUsers,
  locateUser,
  type UserAppRow,
  type UserRow,
} from "./repository";

type Query = Record<string, string | undefined>;
type AppUserView = typeof AppUser.static;

/** Apple first, then Android, web, backend; then the app that saw the user last (Owlmetry's order). */
const PLATFORM_RANK: Record<string, number> = { apple: 0, android: 1, web: 2, backend: 3 };

/** The users of the apps a caller may read: Owlmetry's app-users routes. */
export class AppUsersService {
  constructor(
    private readonly store: Database,
    private readonly events: Pick<EventsService, "visible">,
    /**
     * A cluster's: folds its rounds' pending counts in, before a read. A cluster counts events as it
     * stores them, so its users are the stored rows alone; the embedded store adds its unsealed ones.
     */
    private readonly foldPending: (() => Promise<unknown>) | null = null,
  ) {}

  /** Whether unsealed events count too (the embedded store). */
  private get hot(): boolean {
    return this.foldPending === null;
  }

  async list(caller: Caller, q: Query) {
    const query = parseUserQuery(q);
    const visible = await this.events.visible(caller, query);
    if (!visible) return { users: [], cursor: null, has_more: false };
    await this.foldPending?.();
    return this.store.snapshot(async (tx) => {
      const rows = await listUsers(tx, visible.projectIds, query, this.hot);
      const hasMore = rows.length > query.limit;
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        users: await present(tx, page, this.hot),
        cursor:
          hasMore && last
            ? encodeUserCursor({ us: last.sort_us, projectId: last.project_id, userId: last.user_id })
            : null,
        has_more: hasMore,
      };
    });
  }

  /** `GET /v1/apps/:id/users`: an app the caller cannot see is a 404, as Owlmetry. */
  async listOfApp(caller: Caller, appId: string, q: Query) {
    const visible = isUuid(appId) ? await this.events.visible(caller, { appId: appId.toLowerCase() }) : null;
    if (!visible) throw notFound("App not found");
    const { team_id: _, project_id: __, ...rest } = q;
    return this.list(caller, { ...rest, app_id: appId });
  }

  async get(caller: Caller, id: string) {
    const userNotFound = () => notFound("User not found");
    if (!isUuid(id)) throw userNotFound();
    const visible = await this.events.visible(caller, {});
    if (!visible) throw userNotFound();
    await this.foldPending?.();
    return this.store.snapshot(async (tx) => {
      const where = await locateUser(tx, visible.projectIds, id.toLowerCase(), this.hot);
      const row = where ? await findUser(tx, where.project_id, where.user_id, this.hot) : null;
      if (!row) throw userNotFound();
      return (await present(tx, [row], this.hot))[0] as AppUserView;
    });
  }
}

/** Rows as Owlmetry's AppUser objects, with each user's apps and claimed anonymous ids. */
async function present(tx: Tx, rows: readonly UserRow[], hot: boolean): Promise<AppUserView[]> {
  const key = (r: { project_id: string; user_id: string }) => `${r.project_id}:${r.user_id}`;
  const apps = new Map<string, UserAppRow[]>();
  for (const a of await appsOfUsers(tx, rows, hot)) apps.set(key(a), [...(apps.get(key(a)) ?? []), a]);
  const claims = new Map((await claimsOfUsers(tx, rows)).map((c) => [key(c), c.anonymous_ids]));
  return rows.map((r) => ({
    id: r.id,
    project_id: r.project_id,
    user_id: r.user_id,
    is_anonymous: isAnonymousId(r.user_id),
    claimed_from: claims.get(key(r)) ?? null,
    properties: r.properties ? (JSON.parse(r.properties) as Record<string, string>) : null,
    apps: (apps.get(key(r)) ?? [])
      .sort(
        (a, b) =>
          (PLATFORM_RANK[a.platform] ?? 9) - (PLATFORM_RANK[b.platform] ?? 9) ||
          b.last_seen_at.getTime() - a.last_seen_at.getTime(),
      )
      .map((a) => ({
        app_id: a.app_id,
        app_name: a.app_name,
        first_seen_at: a.first_seen_at.toISOString(),
        last_seen_at: a.last_seen_at.toISOString(),
        event_count: Number(a.event_count),
      })),
    first_seen_at: r.first_seen_at.toISOString(),
    last_seen_at: r.last_seen_at.toISOString(),
    event_count: Number(r.event_count),
    last_country_code: r.last_country_code,
    last_app_version: r.last_app_version,
    last_sdk_name: r.last_sdk_name,
    last_sdk_version: r.last_sdk_version,
    last_locale: r.last_locale,
    last_preferred_language: null,
    total_revenue_usd_cents: null,
    revenue_synced_at: null,
    is_dev: r.is_dev,
  }));
}
