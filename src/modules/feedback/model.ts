import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";
import { TRIAGE_STATUSES, type TriageStatus } from "../../lib/vocab";
import { commentSchema } from "../comments/model";

export const FEEDBACK_STATUSES = TRIAGE_STATUSES;
export type FeedbackStatus = TriageStatus;

const Nullable = t.Union([t.String(), t.Null()]);
const optionalText = (description?: string) => t.Optional(t.Union([t.String(), t.Null()], { description }));

/** What an SDK sends (`sendFeedback`); every field but the message may be absent or null. */
export const FeedbackIngestBody = t.Object({
  bundle_id: optionalText("required when the app has a bundle_id"),
  message: t.Unknown({ description: "1 to 4,000 characters once trimmed" }),
  session_id: optionalText("a UUID: the session the feedback was sent from"),
  user_id: optionalText(),
  submitter_name: optionalText("cut to 255 characters"),
  submitter_email: optionalText("a valid address, at most 320 characters"),
  app_version: optionalText(),
  sdk_name: optionalText(),
  sdk_version: optionalText(),
  environment: optionalText("must fit the app's platform"),
  device_model: optionalText(),
  os_version: optionalText(),
  screen_name: optionalText("Roost's: the screen it was sent from"),
  client_event_id: optionalText(
    "Roost's: an id the SDK chose; attachments uploaded with this client_event_id belong to the feedback",
  ),
  is_dev: t.Optional(t.Unknown({ description: "true: sent from a development build" })),
});

export const FeedbackReceipt = t.Object({ id: Uuid, created_at: Timestamp });

const AttachmentRef = t.Object({
  id: Uuid,
  original_filename: t.String(),
  content_type: t.String(),
  size_bytes: t.Integer(),
  uploaded_at: Timestamp,
});

/** Owlmetry's FeedbackResponse, plus Roost's screen_name, client_event_id and attachments. */
export const Feedback = t.Object({
  id: Uuid,
  app_id: Uuid,
  project_id: Uuid,
  session_id: Nullable,
  user_id: Nullable,
  message: t.String(),
  submitter_name: Nullable,
  submitter_email: Nullable,
  status: oneOf(FEEDBACK_STATUSES),
  is_dev: t.Boolean(),
  environment: Nullable,
  os_version: Nullable,
  app_version: Nullable,
  sdk_name: Nullable,
  sdk_version: Nullable,
  device_model: Nullable,
  country_code: Nullable,
  screen_name: Nullable,
  client_event_id: Nullable,
  created_at: Timestamp,
  updated_at: Timestamp,
  app_name: t.Optional(t.String()),
  project_name: t.Optional(t.String()),
  user_properties: t.Optional(t.Union([t.Record(t.String(), t.String()), t.Null()])),
});

export const FeedbackComment = commentSchema("feedback_id");

export const FeedbackDetail = t.Composite([
  Feedback,
  t.Object({ comments: t.Array(FeedbackComment), attachments: t.Array(AttachmentRef) }),
]);

export const FeedbackList = t.Object({
  feedback: t.Array(Feedback),
  cursor: Nullable,
  has_more: t.Boolean(),
});

const optional = (description: string) => t.Optional(t.String({ description }));
export const FeedbackQuery = t.Object({
  team_id: optional("only this team's feedback"),
  project_id: optional("only this project's feedback"),
  app_id: optional("only this app's feedback"),
  status: optional(`one of ${FEEDBACK_STATUSES.join(", ")}`),
  is_dev: optional("true or false; wins over data_mode"),
  data_mode: optional("production (default), development, all"),
  cursor: optional("from the previous page"),
  limit: optional("1 to 200, default 50"),
});
export const ProjectFeedbackQuery = t.Omit(FeedbackQuery, ["team_id", "project_id"]);
export const FeedbackCountQuery = t.Object({
  team_id: optional("only this team's feedback"),
  project_id: optional("only this project's feedback"),
  status: optional(`one of ${FEEDBACK_STATUSES.join(", ")}`),
  since: optional("created at or after (relative like 7d, or ISO-8601)"),
});

export const StatusBody = t.Object({
  status: t.Unknown({ description: FEEDBACK_STATUSES.join(", ") }),
});
export { CommentBody } from "../comments/model";

// A project is `:id` in every /v1/projects/ route (Elysia's router takes one name a place).
export const ProjectParams = t.Object({ id: t.String({ description: "the project's id" }) });
export const FeedbackParams = t.Object({ id: t.String(), feedbackId: t.String() });
export const CommentParams = t.Object({ id: t.String(), feedbackId: t.String(), commentId: t.String() });
export { DeletedFlag as Deleted } from "../../lib/schemas";
export const FeedbackCountResponse = t.Object({ count: t.Integer() });
