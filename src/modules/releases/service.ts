import { badRequest } from "../../lib/errors";
import type { Caller } from "../access/caller";
import { parseFilters, time } from "../events/params";
import type { EventsService } from "../events/service";
import type { ReleaseHealth } from "./model";
import type { ReleaseHealthRow } from "./repository";

/** Session counts per (release, environment) of these apps: the store's query, by backend. */
export type HealthQuery = (
  appIds: readonly string[],
  since: Date,
  until: Date | null,
  environment: string | null,
) => Promise<ReleaseHealthRow[]>;

const DEFAULT_SINCE = "30d";

/**
 * Release health: the sessions Sentry's SDKs report (`session`, `sessions` items), per release and
 * environment, with the crash-free rate Sentry shows. Scoped like the events API.
 */
export class ReleasesService {
  constructor(
    private readonly query: HealthQuery,
    private readonly events: Pick<EventsService, "visible">,
  ) {}

  async health(caller: Caller, q: Record<string, string | undefined>, now = Date.now()) {
    const scope = parseFilters({ team_id: q.team_id, project_id: q.project_id, app_id: q.app_id }, now);
    const since = time("since", q.since || DEFAULT_SINCE, now) as Date;
    const until = time("until", q.until, now) ?? null;
    if (until && since > until) throw badRequest("since must not be after until");
    if (q.environment !== undefined && q.environment.length > 200) {
      throw badRequest("environment must be at most 200 characters");
    }
    const visible = await this.events.visible(caller, scope);
    if (!visible) return { releases: [] };
    const rows = await this.query(visible.appIds, since, until, q.environment || null);
    return {
      releases: rows.map((r): typeof ReleaseHealth.static => ({
        release: r.release,
        environment: r.environment,
        sessions: r.sessions,
        exited: r.exited,
        errored: r.errored,
        crashed: r.crashed,
        abnormal: r.abnormal,
        crash_free_rate: r.sessions > 0 ? Math.max(0, 1 - r.crashed / r.sessions) : null,
        first_seen: r.first_seen.toISOString(),
        last_seen: r.last_seen.toISOString(),
      })),
    };
  }
}
