import { type TSchema, t } from "elysia";
import { IdParams } from "../../lib/schemas";
import type { Caller } from "../access/caller";
import type { Permission } from "../access/permissions";
import { ListAppsQuery } from "../apps/model";
import type { AppsService } from "../apps/service";
import { CountQuery, ListQuery } from "../events/model";
import type { EventsService } from "../events/service";
import { TeamIssueQuery } from "../issues/model";
import type { IssuesService } from "../issues/service";
import { MetricQuery } from "../metrics/model";
import type { MetricsService } from "../metrics/service";
import { ListProjectsQuery } from "../projects/model";
import type { ProjectsService } from "../projects/service";
import { StatsV2Query } from "../stats/model";
import type { StatsService } from "../stats/service";

/** One MCP tool: its input is the HTTP route's own TypeBox model, so the two cannot drift. */
export interface Tool {
  name: string;
  description: string;
  permission: Permission;
  input: TSchema;
  run(caller: Caller, args: Record<string, unknown>): Promise<unknown>;
}

type Query = Record<string, string | undefined>;
const text = (args: Record<string, unknown>) => args as Query;

/** The tools of `/mcp` (decision 015), each calling the service its HTTP route calls. */
export function roostTools(s: {
  events: EventsService;
  projects: ProjectsService;
  apps: AppsService;
  stats: StatsService;
  issues: IssuesService;
  metrics: MetricsService;
}): Tool[] {
  const { metrics } = s;
  const tools: Tool[] = [
    {
      name: "list_events",
      description:
        "Events, newest first (order=asc for oldest), with every filter of GET /v1/events: team_id, project_id, app_id, level, user_id, session_id, screen_name, environment, data_mode, since, until, issue_id, limit, cursor. Values are strings, as in a URL.",
      permission: "events:read",
      input: ListQuery,
      run: (caller, args) => s.events.list(caller, text(args)),
    },
    {
      name: "count_events",
      description:
        "How many events match (GET /v1/events/count's filters), with exact unique users and sessions.",
      permission: "events:read",
      input: CountQuery,
      run: (caller, args) => s.events.count(caller, text(args)),
    },
    {
      name: "get_event",
      description: "One event by its id, with its attributes, project and attachments.",
      permission: "events:read",
      input: IdParams,
      run: (caller, args) => s.events.get(caller, String(args.id)),
    },
    {
      name: "usage_stats",
      description:
        "Sentry's stats_v2 for an organization (a team's slug): outcome counts as grouped time series. field (sum(quantity) or sum(times_seen)), groupBy, category, outcome, project, interval, statsPeriod or start/end.",
      permission: "org:read",
      input: t.Composite([
        t.Object({ organization: t.String({ description: "the team's slug" }) }),
        StatsV2Query,
      ]),
      run: (caller, { organization, ...q }) => s.stats.query(caller, String(organization), q as Query),
    },
    {
      name: "list_projects",
      description: "The projects of the caller's teams (or of one team).",
      permission: "org:read",
      input: ListProjectsQuery,
      run: async (caller, args) => ({ projects: await s.projects.list(caller, text(args)) }),
    },
    {
      name: "list_apps",
      description: "The apps of the caller's teams (or of one project), with their platforms and bundle ids.",
      permission: "org:read",
      input: ListAppsQuery,
      run: async (caller, args) => ({ apps: await s.apps.list(caller, text(args)) }),
    },
    {
      name: "list_issues",
      description:
        "Issues (errors grouped) of the caller's teams: status, app_id, is_dev, data_mode, release, since, sort (last_seen, first_seen, events, users, sessions), team_id, project_id, limit, cursor.",
      permission: "issues:read",
      input: TeamIssueQuery,
      run: (caller, args) => s.issues.listTeam(caller, text(args)),
    },
    {
      name: "query_metric",
      description:
        "A metric's counts per phase, success rate, duration percentiles and top errors over a time range (24 h by default), optionally grouped (group_by time:hour|day|week, app_version, environment, device_model, country_code, experiment:<name> …).",
      permission: "metrics:read",
      input: t.Composite([
        t.Object({ project_id: t.String(), slug: t.String({ description: "the metric's slug" }) }),
        MetricQuery,
      ]),
      run: (caller, { project_id, slug, ...q }) =>
        metrics.query(caller, String(project_id), String(slug), q as Query),
    },
  ];
  return tools;
}
