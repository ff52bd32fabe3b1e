import { t } from "elysia";
import { Timestamp, Uuid } from "../../lib/schemas";

const Nullable = t.Union([t.String(), t.Null()]);
const optional = (description: string) => t.Optional(t.String({ description }));
const anything = (description: string) => t.Optional(t.Unknown({ description }));

export const SlugParams = t.Object({ slug: t.String({ description: "the questionnaire's slug" }) });
export const FetchQuery = t.Object({
  bundle_id: optional("required when the app has a bundle_id"),
  user_id: optional("the user asking (an anonymous id is fine)"),
  force: optional("true: ignore an earlier answer or dismissal (debug previews)"),
});
export const ResponseBody = t.Object({
  bundle_id: anything("required when the app has a bundle_id"),
  answers: t.Unknown({ description: "question id → string, list of option ids, or integer" }),
  is_complete: anything("true submits; otherwise the answers are saved as a draft"),
  user_id: anything("the user answering"),
  session_id: anything("a UUID"),
  app_version: anything(""),
  sdk_name: anything(""),
  sdk_version: anything(""),
  device_model: anything(""),
  os_version: anything(""),
  environment: anything("must fit the app's platform"),
  is_dev: anything("true from a development build"),
});
export const DismissBody = t.Object({
  bundle_id: anything("required when the app has a bundle_id"),
  user_id: anything("the user who asked never to be asked again"),
});

const Spec = t.Object({ version: t.Literal(1), questions: t.Array(t.Unknown()) });
export const FetchResponse = t.Object({
  eligible: t.Boolean(),
  reason: t.Optional(t.String({ description: "inactive, globally_dismissed or already_responded" })),
  questionnaire: t.Optional(
    t.Object({ id: Uuid, slug: t.String(), name: t.String(), description: Nullable, schema: Spec }),
  ),
  in_progress: t.Optional(t.Object({ response_id: Uuid, answers: t.Record(t.String(), t.Unknown()) })),
});
export const ResponseReceipt = t.Object({ id: Uuid, created_at: Timestamp, was_submitted: t.Boolean() });
export const DismissReceipt = t.Object({ dismissed_at: Timestamp });

export const Questionnaire = t.Object({
  id: Uuid,
  project_id: Uuid,
  app_id: Nullable,
  slug: t.String(),
  name: t.String(),
  description: Nullable,
  schema: Spec,
  is_active: t.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  response_count: t.Optional(t.Integer()),
  submitted_count: t.Optional(t.Integer()),
  last_response_at: t.Optional(t.Union([Timestamp, t.Null()])),
});
export const QuestionnaireList = t.Object({
  questionnaires: t.Array(Questionnaire),
  cursor: Nullable,
  has_more: t.Boolean(),
});
export const QuestionnaireBody = t.Object({
  slug: anything("1-64 lowercase letters, digits and hyphens; fixed once created"),
  name: anything("1-200 characters"),
  description: anything("at most 2,000 characters"),
  schema: anything(
    "{version: 1, questions: [...]}: Owlmetry's question types text, single_choice, multi_choice, rating, nps",
  ),
  app_id: anything("pin to one app of the project (null: every app)"),
  is_active: anything("true (the default) to ask"),
});
export const QuestionnaireListQuery = t.Object({
  app_id: optional("only those pinned to this app"),
  is_active: optional("true or false"),
  cursor: optional("from the previous page"),
  limit: optional("1 to 200, default 50"),
});
export const ResponsesQuery = t.Object({
  status: optional("draft, new, in_review, addressed, dismissed"),
  app_id: optional("only from this app"),
  is_dev: optional("true or false; wins over data_mode"),
  data_mode: optional("production (default), development, all"),
  submitted_only: optional("true: leave drafts out"),
  cursor: optional("from the previous page"),
  limit: optional("1 to 200, default 50"),
});
export const QuestionnaireResponse = t.Object(
  {
    id: Uuid,
    questionnaire_id: Uuid,
    slug: t.String(),
    answers: t.Record(t.String(), t.Unknown()),
    submitted_at: t.Union([Timestamp, t.Null()]),
    is_complete: t.Boolean(),
    status: t.String(),
    created_at: Timestamp,
  },
  { additionalProperties: true },
);
export const ResponseList = t.Object({
  responses: t.Array(QuestionnaireResponse),
  cursor: Nullable,
  has_more: t.Boolean(),
});
export const ProjectParams = t.Object({ id: t.String({ description: "the project's id" }) });
export const QuestionnaireParams = t.Object({ id: t.String(), questionnaireId: t.String() });
export const Deleted = t.Object({ deleted: t.Literal(true) });
export const ResponseParams = t.Object({
  id: t.String(),
  questionnaireId: t.String(),
  responseId: t.String(),
});
export const StatusBody = t.Object({
  status: t.Unknown({ description: "new, in_review, addressed, dismissed" }),
});
export const TeamScopeQuery = t.Object({
  team_id: optional("only this team's"),
  project_id: optional("only this project's"),
});
export const TeamQuestionnaireQuery = t.Composite([
  TeamScopeQuery,
  t.Object({
    app_id: optional("only those pinned to this app"),
    is_active: optional("true or false"),
    limit: optional("1 to 200 (default: up to 500)"),
  }),
]);
export const TeamQuestionnaireList = t.Object({ questionnaires: t.Array(Questionnaire) });
export const CountResponse = t.Object({ count: t.Integer() });
