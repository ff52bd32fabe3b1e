import { t } from "elysia";
import { NullableTimestamp, oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { commentSchema } from "../comments/model";
import { ISSUE_SORTS } from "./repository";

/** Owlmetry's statuses; `regressed` is set by grouping only. */
export const ISSUE_STATUSES = ["new", "in_progress", "resolved", "silenced", "regressed", "snoozed"] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
export const SORTS = Object.keys(ISSUE_SORTS) as Array<keyof typeof ISSUE_SORTS>;

const Nullable = t.Union([t.String(), t.Null()]);
const DayCount = t.Object({ day: t.String({ description: "YYYY-MM-DD (UTC)" }), events: t.Integer() });

/** Owlmetry's IssueResponse, plus Roost's event and session counts, snooze terms and days. */
export const Issue = t.Object({
  id: Uuid,
  short_id: t.Integer({ description: "Roost's: the issue's number in this Roost, in order of creation" }),
  app_id: Uuid,
  project_id: Uuid,
  status: oneOf(ISSUE_STATUSES),
  title: t.String(),
  source_module: Nullable,
  is_dev: t.Boolean(),
  occurrence_count: t.Integer({ description: "Sessions the error happened in (Owlmetry's occurrences)" }),
  unique_user_count: t.Integer(),
  event_count: t.Integer({ description: "Roost's: every error event of the issue" }),
  resolved_at_version: Nullable,
  first_seen_app_version: Nullable,
  last_seen_app_version: Nullable,
  first_seen_sdk_version: Nullable,
  last_seen_sdk_version: Nullable,
  first_seen_at: Timestamp,
  last_seen_at: Timestamp,
  last_notified_at: NullableTimestamp,
  snoozed_at: NullableTimestamp,
  snooze_until: NullableTimestamp,
  snooze_count: t.Union([t.Integer(), t.Null()]),
  regressed_at: NullableTimestamp,
  events_expired: t.Boolean({
    description: "Roost's: every event of the issue is past the retention; the counts stay",
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
  fingerprints: t.Array(t.String()),
  app_name: t.Optional(t.String()),
  project_name: t.Optional(t.String()),
  days: t.Optional(t.Array(DayCount, { description: "Events per day over the last 14 days (lists)" })),
});

export const IssueList = t.Object({ issues: t.Array(Issue), cursor: Nullable, has_more: t.Boolean() });

export const Occurrence = t.Object({
  issue_id: Uuid,
  session_id: t.String(),
  user_id: Nullable,
  app_user_id: Nullable,
  app_version: Nullable,
  sdk_name: Nullable,
  sdk_version: Nullable,
  environment: Nullable,
  event_id: Uuid,
  country_code: Nullable,
  timestamp: Timestamp,
});

export const IssueComment = commentSchema("issue_id");

export const IssueAttachment = t.Object({
  id: Uuid,
  event_id: Uuid,
  original_filename: t.String(),
  content_type: t.String(),
  size_bytes: t.Integer(),
  uploaded_at: Timestamp,
  created_at: Timestamp,
});

export const IssueDetail = t.Composite([
  t.Omit(Issue, ["days"]),
  t.Object({
    days: t.Array(DayCount, { description: "Events per day, the whole history" }),
    occurrences: t.Array(Occurrence),
    occurrence_cursor: Nullable,
    occurrence_has_more: t.Boolean(),
    comments: t.Array(IssueComment),
    attachments: t.Array(IssueAttachment, {
      description:
        "The newest 20 files uploaded with the issue's errors (GET /v1/attachments/:id downloads one)",
    }),
  }),
]);

const text = (description: string) => t.Optional(t.String({ description }));
export const IssueQuery = t.Object({
  status: text(`one of ${ISSUE_STATUSES.join(", ")}`),
  app_id: text("only this app's issues"),
  is_dev: text("true or false"),
  data_mode: text("production (default), development or all"),
  release: text("Roost's: only issues with an error from this app version"),
  since: text("Roost's: only issues seen since (ISO-8601 or relative: 24h, 7d)"),
  sort: text(`Roost's: ${SORTS.join(", ")} (default last_seen), always descending`),
  cursor: text("from the previous page"),
  limit: text("1 to 200, default 50"),
});
export const TeamIssueQuery = t.Composite([
  IssueQuery,
  t.Object({ team_id: text("one of the caller's teams"), project_id: text("one project") }),
]);
export const DetailQuery = t.Object({
  occurrence_cursor: text("from the previous page of occurrences"),
  occurrence_limit: text("1 to 200, default 50"),
});

/** `id` is the project's (Elysia shares one parameter name per path segment with the projects routes). */
export const ProjectParams = t.Object({ id: t.String() });
export const IssueParams = t.Object({ id: t.String(), issueId: t.String() });
export const CommentParams = t.Object({ id: t.String(), issueId: t.String(), commentId: t.String() });

export const UpdateBody = t.Object({
  status: t.Unknown({ description: `one of ${ISSUE_STATUSES.filter((s) => s !== "regressed").join(", ")}` }),
  resolved_at_version: t.Optional(
    t.Unknown({ description: "required to resolve: the version with the fix" }),
  ),
  snooze_until: t.Optional(t.Unknown({ description: "Roost's: snooze until this time (ISO-8601)" })),
  snooze_count: t.Optional(t.Unknown({ description: "Roost's: snooze until this many more errors" })),
});
export const MergeBody = t.Object({
  source_issue_id: t.Unknown({ description: "the issue merged into this one" }),
});
export { CommentBody } from "../comments/model";
export const CommentList = t.Object({ comments: t.Array(IssueComment) });
export const Merged = t.Composite([t.Omit(Issue, ["days"]), t.Object({ merged_issue_id: Uuid })]);
