import { notFound } from "../../lib/errors";
import { isUuid } from "../../lib/ids";
import { TtlCache } from "../../lib/ttl-cache";
import type { Database } from "../../store/db";
import { type Caller, teamsWith } from "../access/caller";
import { type AppRow, listApps } from "../apps/repository";
import type { AttachmentsService } from "../attachments/service";
import type { IdentityClaims } from "../identity/claims";
import type { RecentTimes } from "../pipeline/recent-times";
import type { Event } from "./model";
import { type EventFilters, encodeCursor, type ListParams, parseFilters, parseList } from "./params";
import type { EventRow, EventsStore, Visible } from "./repository";

export type EventView = typeof Event.static;
type Query = Record<string, string | undefined>;
const eventNotFound = () => notFound("Event not found");

/** The seed's event shape: `custom_attributes` {} when none, `experiments` null when none. */
export function presentEvent(row: EventRow): EventView {
  const { ts_us: _, project_id: __, custom_attributes, experiments, ...rest } = row;
  return {
    ...rest,
    custom_attributes: custom_attributes ? (JSON.parse(custom_attributes) as Record<string, string>) : {},
    experiments: experiments ? (JSON.parse(experiments) as Record<string, string>) : null,
  };
}

/** The time a UUIDv7 carries (Roost's event ids carry the event's timestamp), else null. */
function timeOfId(id: string): Date | null {
  const hex = id.replaceAll("-", "");
  if (hex[12] !== "7") return null;
  return new Date(Number.parseInt(hex.slice(0, 12), 16));
}

export class EventsService {
  /** The live apps of a set of teams, briefly: every request needs them, few change them. */
  private readonly apps = new TtlCache<string, AppRow[]>(10_000);

  constructor(
    /** Where apps live (the control plane). */
    private readonly store: Database,
    /** Where events live: the embedded store, or ClickHouse. */
    private readonly events: EventsStore,
    private readonly attachments: Pick<AttachmentsService, "ofEvent">,
    /** The newest event times per app, which bound the newest pages (pipeline/recent-times.ts). */
    private readonly recent: RecentTimes,
    /** Identity claims: a user's filter takes in their anonymous ids, and rows show the user. */
    private readonly claims: IdentityClaims,
  ) {}

  /** Projects or apps changed (created, deleted): read them afresh. */
  forget(): void {
    this.apps.clear();
  }

  async list(caller: Caller, q: Query) {
    const params = await this.issuePage(await this.withIssue(parseList(q)));
    const visible = params ? await this.visible(caller, params) : null;
    if (!params || !visible) return { events: [], cursor: null, has_more: false };
    const rows = await this.events.list(visible, this.withClaims(params, visible), {
      recent: this.recent,
    });
    const hasMore = rows.length > params.limit;
    const page = rows.slice(0, params.limit);
    const last = page.at(-1);
    return {
      events: page.map((row) => presentEvent(this.resolved(row))),
      cursor: hasMore && last ? encodeCursor({ ts: last.ts_us, id: last.id, order: params.order }) : null,
      has_more: hasMore,
    };
  }

  async count(caller: Caller, q: Query) {
    const filters = await this.withIssue(parseFilters(q));
    const visible = filters ? await this.visible(caller, filters) : null;
    if (!filters || !visible) return { count: 0, unique_users: 0, unique_sessions: 0 };
    const claimed = this.claims.anyIn(visible.projectIds);
    return this.events.count(visible, this.withClaims(filters, visible), claimed);
  }

  /**
   * An issue filter narrows to the issue's app and the span of its errors (null: no such issue, or
   * an app filter that excludes it). The caller's right to the app is checked as for any app_id.
   */
  private async withIssue<F extends EventFilters>(f: F): Promise<F | null> {
    if (f.issueId === undefined) return f;
    const scope = await this.events.issueScope(f.issueId);
    if (!scope || (f.appId !== undefined && f.appId !== scope.app_id)) return null;
    const since = f.since && f.since > scope.first ? f.since : scope.first;
    const end = new Date(scope.last.getTime() + 1);
    const until = f.until && f.until < end ? f.until : end;
    return { ...f, appId: scope.app_id, since, until };
  }

  /**
   * An issue's page with no other filter reads only the span of its next errors (the issue's
   * index says which); with more filters the span could hold too few, so the whole life is read.
   */
  private async issuePage(p: ListParams | null): Promise<ListParams | null> {
    if (!p?.issueId || p.levels || p.userId || p.sessionId || p.screenName || p.environment) return p;
    const span = await this.events.issuePageSpan(p.issueId, p.order, p.cursor?.ts, p.limit + 1);
    if (!span) return p;
    const since = p.since && p.since > span.from ? p.since : span.from;
    const until = p.until && p.until < span.to ? p.until : span.to;
    return { ...p, since, until, issueEventIds: span.ids };
  }

  /**
   * A user filter as the claims have it: the user, or the user who claimed the anonymous id asked
   * for, plus the anonymous ids that user claimed in the visible projects.
   */
  private withClaims<F extends EventFilters>(f: F, visible: Visible): F {
    if (f.userId === undefined) return f;
    const ids = new Set<string>();
    for (const projectId of visible.projectIds) {
      const user = this.claims.resolve(projectId, f.userId);
      ids.add(user);
      for (const anonymous of this.claims.claimedBy([projectId], user)) ids.add(anonymous);
    }
    return { ...f, userIds: [...ids] };
  }

  /** A row sealed before its anonymous id was claimed shows the claiming user. */
  private resolved(row: EventRow): EventRow {
    if (row.user_id === null) return row;
    const user = this.claims.resolve(row.project_id, row.user_id);
    return user === row.user_id ? row : { ...row, user_id: user };
  }

  async get(caller: Caller, id: string) {
    if (!isUuid(id)) throw eventNotFound();
    const visible = await this.visible(caller, {});
    if (!visible) throw eventNotFound();
    const row = await this.events.find(visible, id.toLowerCase(), timeOfId(id));
    if (!row) throw eventNotFound();
    const attachments = await this.attachments.ofEvent(row.app_id, row.client_event_id);
    const { kind, payload, ...event } = this.resolved(row);
    // What a Sentry SDK sent (exception, frames, breadcrumbs, contexts), for events that came so.
    const sentry = kind
      ? { kind, payload: payload ? (JSON.parse(payload) as Record<string, unknown>) : null }
      : {};
    return { ...presentEvent(event), project_id: row.project_id, attachments, ...sentry };
  }

  /**
   * The live apps the caller may read, narrowed by app_id, else project_id, else team_id. An id
   * outside that scope narrows to nothing: an empty result, never another team's rows.
   */
  async visible(
    caller: Caller,
    f: Pick<EventFilters, "teamId" | "projectId" | "appId">,
  ): Promise<Visible | null> {
    const teams = teamsWith(caller, "events:read");
    let apps = await this.apps.get(teams.join(","), () => listApps(this.store, teams, null));
    if (f.appId) apps = apps.filter((a) => a.id === f.appId);
    else if (f.projectId) apps = apps.filter((a) => a.project_id === f.projectId);
    else if (f.teamId) apps = apps.filter((a) => a.team_id === f.teamId);
    if (apps.length === 0) return null;
    return { appIds: apps.map((a) => a.id), projectIds: [...new Set(apps.map((a) => a.project_id))] };
  }
}
