import {
  decodeCursorParts,
  decodeTimeCursor,
  encodeCursorParts,
  encodeTimeCursor,
  isMicros,
} from "../../lib/cursor";
import { badRequest, notFound } from "../../lib/errors";
import { appUserId, isUuid, uuidParam } from "../../lib/ids";
import type { Database, SharedWriter, Tx } from "../../store/db";
import type { Caller } from "../access/caller";
import { commentsOf, moveComments } from "../comments/repository";
import { Comments, presentComment } from "../comments/service";
import { devFilter, pageLimit, time } from "../events/params";
import { projectFor, projectsInScope } from "../projects/scope";
import type { IssueGrouper } from "./grouper";
import { ISSUE_STATUSES, type IssueStatus, SORTS } from "./model";
import {
  attachmentsOf,
  daysOf,
  findIssue,
  fingerprintsOf,
  type IssueRow,
  type IssueSort,
  listIssues,
  mergeIssues,
  type OccurrenceRow,
  occurrencesOf,
  setStatus,
} from "./repository";

type Query = Record<string, string | undefined>;
const DAY_MS = 86_400_000;
/** Owlmetry's page of an issue's attachments. */
const ATTACHMENTS_SHOWN = 20;
/** The days a list shows per issue (its sparkline). */
const LIST_DAYS = 14;

/**
 * Owlmetry's transitions a person or agent may make; `regressed`, and a snooze's end, are the
 * grouping's to set.
 */
const TRANSITIONS: Record<IssueStatus, readonly IssueStatus[]> = {
  new: ["in_progress", "resolved", "silenced", "snoozed"],
  in_progress: ["new", "resolved", "silenced", "snoozed"],
  resolved: ["new", "silenced", "snoozed"],
  regressed: ["in_progress", "resolved", "silenced", "snoozed"],
  silenced: ["new", "in_progress", "resolved", "snoozed"],
  snoozed: ["new", "in_progress", "resolved", "silenced"],
};

/** Issues: lists, one issue with its occurrences, triage, merges and comments. */
export class IssuesService {
  private readonly comments: Comments;

  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    private readonly grouper: Pick<IssueGrouper, "exclusive" | "merged">,
  ) {
    this.comments = new Comments(writer, "issues", (tx, projectId, id) => this.live(tx, projectId, id));
  }

  /** `GET /v1/issues`: the caller's teams, or one team or project of them. */
  async listTeam(caller: Caller, q: Query) {
    return this.page(await projectsInScope(this.store, caller, "issues:read", q), q, true);
  }

  /** `GET /v1/projects/:projectId/issues`. */
  async listProject(caller: Caller, projectId: string, q: Query) {
    await this.project(caller, projectId, "issues:read");
    return this.page([projectId.toLowerCase()], q, false);
  }

  async get(caller: Caller, projectId: string, issueId: string, q: Query) {
    await this.project(caller, projectId, "issues:read");
    const limit = pageLimit(q.occurrence_limit, "occurrence_limit");
    const cursor = q.occurrence_cursor ? decodeTimeCursor(q.occurrence_cursor) : undefined;
    return this.store.snapshot(async (tx) => {
      const row = await this.live(tx, projectId, issueId);
      const fingerprints = (await fingerprintsOf(tx, [row.id])).get(row.id) ?? [];
      const days = (await daysOf(tx, [row.id])).get(row.id) ?? [];
      const occurrences = await occurrencesOf(tx, row.id, cursor, limit);
      const page = occurrences.slice(0, limit);
      const last = page.at(-1);
      const comments = await commentsOf(tx, "issues", row.id);
      const attachments = await attachmentsOf(tx, row.id, ATTACHMENTS_SHOWN);
      const { project_name: _, ...issue } = present(row, fingerprints);
      return {
        ...issue,
        days,
        occurrences: page.map((o) => presentOccurrence(o, row.project_id)),
        occurrence_cursor:
          occurrences.length > limit && last ? encodeTimeCursor(last.us, last.event_id) : null,
        occurrence_has_more: occurrences.length > limit,
        comments: comments.map((c) => presentComment(c, "issue_id")),
        attachments: attachments.map((a) => ({
          ...a,
          uploaded_at: a.uploaded_at.toISOString(),
          created_at: a.created_at.toISOString(),
        })),
      };
    });
  }

  /** `PATCH …/issues/:issueId`: Owlmetry's transitions and messages, plus Roost's snooze terms. */
  async update(caller: Caller, projectId: string, issueId: string, body: Record<string, unknown>) {
    await this.project(caller, projectId, "issues:write");
    const status = body.status;
    if (status === undefined || status === null || status === "") throw badRequest("status is required");
    if (typeof status !== "string" || !(ISSUE_STATUSES as readonly string[]).includes(status)) {
      throw badRequest(`Invalid status. Must be one of: ${ISSUE_STATUSES.join(", ")}`);
    }
    const next = status as IssueStatus;
    const version = typeof body.resolved_at_version === "string" ? body.resolved_at_version.trim() : "";
    if (next === "resolved" && version === "") {
      throw badRequest(
        "resolved_at_version is required when resolving an issue. Use status='silenced' if you don't want auto-regression.",
      );
    }
    const snooze = next === "snoozed" ? snoozeTerms(body) : { until: null, count: null };
    return this.writer.run(async (tx) => {
      const row = await this.live(tx, projectId, issueId);
      const current = row.status as IssueStatus;
      if (!TRANSITIONS[current]?.includes(next)) {
        throw badRequest(`Cannot transition from '${current}' to '${next}'`);
      }
      const now = new Date();
      return async (tx) => {
        await setStatus(
          tx,
          row.id,
          {
            status: next,
            // Claiming or reopening clears the fix version; silencing or snoozing keeps it.
            resolvedAtVersion:
              next === "resolved"
                ? version
                : next === "new" || next === "in_progress"
                  ? null
                  : row.resolved_at_version,
            snoozedAt: next === "snoozed" ? now : null,
            snoozeUntil: snooze.until,
            snoozeCount: snooze.count,
          },
          now,
        );
        return this.shown(tx, projectId, row.id);
      };
    });
  }

  /** `POST …/issues/:issueId/merge`: the source's errors, counts and comments join this issue. */
  async merge(caller: Caller, projectId: string, targetId: string, body: { source_issue_id: unknown }) {
    await this.project(caller, projectId, "issues:write");
    const source = body.source_issue_id;
    if (typeof source !== "string" || source === "") throw badRequest("source_issue_id is required");
    if (source.toLowerCase() === targetId.toLowerCase())
      throw badRequest("Cannot merge an issue into itself");
    // Grouping rounds wait, so none groups against the memory of before the merge.
    return this.grouper.exclusive(async () => {
      const merged = await this.writer.run(async (tx) => {
        const target = isUuid(targetId) ? await findIssue(tx, projectId, targetId.toLowerCase()) : null;
        if (!target) throw notFound("Target issue not found");
        const from = isUuid(source) ? await findIssue(tx, projectId, source.toLowerCase()) : null;
        if (!from) throw notFound("Source issue not found in this project");
        return async (tx) => {
          await mergeIssues(tx, from.id, target.id, new Date());
          await moveComments(tx, "issues", from.id, target.id);
          return { ...(await this.shown(tx, projectId, target.id)), merged_issue_id: from.id };
        };
      });
      this.grouper.merged(merged.merged_issue_id, merged.id);
      return merged;
    });
  }

  async listComments(caller: Caller, projectId: string, issueId: string) {
    await this.project(caller, projectId, "issues:read");
    return this.store.snapshot(async (tx) => {
      const row = await this.live(tx, projectId, issueId);
      return { comments: (await commentsOf(tx, "issues", row.id)).map((c) => presentComment(c, "issue_id")) };
    });
  }

  async addComment(caller: Caller, projectId: string, issueId: string, body: { body: unknown }) {
    await this.project(caller, projectId, "issues:write");
    return presentComment(await this.comments.add(caller, projectId, issueId, body), "issue_id");
  }

  async editComment(
    caller: Caller,
    projectId: string,
    issueId: string,
    commentId: string,
    body: { body: unknown },
  ) {
    await this.project(caller, projectId, "issues:write");
    return presentComment(await this.comments.edit(caller, projectId, issueId, commentId, body), "issue_id");
  }

  async removeComment(caller: Caller, projectId: string, issueId: string, commentId: string) {
    const project = await this.project(caller, projectId, "issues:write");
    return this.comments.remove(caller, project.team_id, projectId, issueId, commentId);
  }

  private async page(projectIds: readonly string[], q: Query, withProject: boolean) {
    const status = statusFilter(q.status);
    const sort = sortOf(q.sort);
    const isDev = devFilter(q);
    const limit = pageLimit(q.limit);
    const cursor = q.cursor ? cursorOf(q.cursor, sort) : undefined;
    const appId = q.app_id ? uuidParam("app_id", q.app_id) : undefined;
    const since = time("since", q.since, Date.now());
    const release = q.release || undefined;
    if (projectIds.length === 0) return { issues: [], cursor: null, has_more: false };
    return this.store.snapshot(async (tx) => {
      const rows = await listIssues(tx, {
        projectIds,
        appId,
        status,
        isDev,
        release,
        since,
        sort,
        cursor,
        limit,
      });
      const page = rows.slice(0, limit);
      const ids = page.map((r) => r.id);
      const fingerprints = await fingerprintsOf(tx, ids);
      const days = await daysOf(tx, ids, new Date(Date.now() - (LIST_DAYS - 1) * DAY_MS));
      const last = page.at(-1);
      return {
        issues: page.map((row) => {
          const shown = { ...present(row, fingerprints.get(row.id) ?? []), days: days.get(row.id) ?? [] };
          if (withProject) return shown;
          const { project_name: _, ...rest } = shown;
          return rest;
        }),
        cursor: rows.length > limit && last ? encodeCursorParts([sort, last.sort_key, last.id]) : null,
        has_more: rows.length > limit,
      };
    });
  }

  private async shown(tx: Tx, projectId: string, issueId: string) {
    const row = (await findIssue(tx, projectId, issueId)) as IssueRow;
    const { project_name: _, ...issue } = present(
      row,
      (await fingerprintsOf(tx, [row.id])).get(row.id) ?? [],
    );
    return issue;
  }

  private async live(tx: Tx, projectId: string, issueId: string): Promise<IssueRow> {
    const row = isUuid(issueId) ? await findIssue(tx, projectId.toLowerCase(), issueId.toLowerCase()) : null;
    if (!row) throw notFound("Issue not found");
    return row;
  }

  /** The project, when the caller holds `permission` in its team; else Owlmetry's 404. */
  private project(caller: Caller, projectId: string, permission: "issues:read" | "issues:write") {
    return projectFor(this.store, caller, projectId, permission);
  }
}

function statusFilter(value: string | undefined): IssueStatus | undefined {
  if (value === undefined || value === "") return undefined;
  if (!(ISSUE_STATUSES as readonly string[]).includes(value)) {
    throw badRequest(`status must be one of ${ISSUE_STATUSES.join(", ")}`);
  }
  return value as IssueStatus;
}

function sortOf(value: string | undefined): IssueSort {
  if (value === undefined || value === "") return "last_seen";
  if (!(SORTS as readonly string[]).includes(value))
    throw badRequest(`sort must be one of ${SORTS.join(", ")}`);
  return value as IssueSort;
}

/** A list cursor names its sort, so a cursor from another order is refused, not misread. */
function cursorOf(raw: string, sort: IssueSort) {
  const [, key, id] = decodeCursorParts(raw, [(s) => s === sort, isMicros, isUuid]) as [
    string,
    string,
    string,
  ];
  return { key, id };
}

/** A snooze's terms: until a time, until a count of more errors, or (neither) until the next error. */
function snoozeTerms(body: Record<string, unknown>): { until: Date | null; count: number | null } {
  let until: Date | null = null;
  if (body.snooze_until !== undefined && body.snooze_until !== null) {
    const ms = typeof body.snooze_until === "string" ? Date.parse(body.snooze_until) : Number.NaN;
    if (Number.isNaN(ms)) throw badRequest("snooze_until must be an ISO-8601 time");
    until = new Date(ms);
  }
  let count: number | null = null;
  if (body.snooze_count !== undefined && body.snooze_count !== null) {
    if (!Number.isInteger(body.snooze_count) || (body.snooze_count as number) < 1) {
      throw badRequest("snooze_count must be a whole number of at least 1");
    }
    count = body.snooze_count as number;
  }
  return { until, count };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function present(row: IssueRow, fingerprints: string[]) {
  return {
    id: row.id,
    short_id: row.seq,
    app_id: row.app_id,
    project_id: row.project_id,
    status: row.status as IssueStatus,
    title: row.title,
    source_module: row.source_module,
    is_dev: row.is_dev,
    occurrence_count: row.session_count,
    unique_user_count: row.user_count,
    event_count: row.event_count,
    resolved_at_version: row.resolved_at_version,
    first_seen_app_version: row.first_release,
    last_seen_app_version: row.last_release,
    first_seen_sdk_version: row.first_sdk_version,
    last_seen_sdk_version: row.last_sdk_version,
    first_seen_at: row.first_seen.toISOString(),
    last_seen_at: row.last_seen.toISOString(),
    last_notified_at: iso(row.last_notified_at),
    snoozed_at: iso(row.snoozed_at),
    snooze_until: iso(row.snooze_until),
    snooze_count: row.snooze_count,
    regressed_at: iso(row.regressed_at),
    events_expired: row.events_expired,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    fingerprints,
    ...(row.app_name !== null ? { app_name: row.app_name } : {}),
    project_name: row.project_name,
  };
}

function presentOccurrence(o: OccurrenceRow, projectId: string) {
  return {
    issue_id: o.issue_id,
    session_id: o.session_id,
    user_id: o.user_id,
    app_user_id: o.user_id ? appUserId(projectId, o.user_id) : null,
    app_version: o.app_version,
    sdk_name: o.sdk_name,
    sdk_version: o.sdk_version,
    environment: o.environment,
    event_id: o.event_id,
    country_code: o.country_code,
    timestamp: o.timestamp.toISOString(),
  };
}
