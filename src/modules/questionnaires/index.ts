import { Elysia } from "elysia";
import { sdkJson } from "../../lib/body";
import { authErrors, ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import {
  CountResponse,
  Deleted,
  DismissBody,
  DismissReceipt,
  FetchQuery,
  FetchResponse,
  ProjectParams,
  Questionnaire,
  QuestionnaireBody,
  QuestionnaireList,
  QuestionnaireListQuery,
  QuestionnaireParams,
  QuestionnaireResponse,
  ResponseBody,
  ResponseList,
  ResponseParams,
  ResponseReceipt,
  ResponsesQuery,
  SlugParams,
  StatusBody,
  TeamQuestionnaireList,
  TeamQuestionnaireQuery,
  TeamScopeQuery,
} from "./model";
import type { QuestionnairesService } from "./service";

const tags = ["questionnaires"];
const sdkErrors = { ...authErrors, 409: ErrorBody, 413: ErrorBody, 429: ErrorBody };

/** Owlmetry's questionnaires: what its Swift and Android SDKs call, and the project's definitions. */
export function questionnairesRoutes(guard: AuthGuard, questionnaires: QuestionnairesService) {
  const project = "/projects/:id/questionnaires";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .post("/questionnaires/dismiss", ({ caller, body }) => questionnaires.dismiss(caller, body), {
      permission: "events:write",
      rateLimit: "sdk",
      parse: [sdkJson, "json"],
      body: DismissBody,
      response: { 200: DismissReceipt, ...sdkErrors },
      detail: {
        tags,
        summary: "Never ask this user again (SDKs' “Don't ask again”)",
      },
    })
    .get(
      "/questionnaires/:slug",
      ({ caller, params, query }) => questionnaires.fetch(caller, params.slug, query),
      {
        permission: "events:write",
        rateLimit: "sdk",
        params: SlugParams,
        query: FetchQuery,
        response: { 200: FetchResponse, ...sdkErrors },
        detail: {
          tags,
          summary: "A questionnaire's spec for an SDK, whether this user may answer, and their draft",
        },
      },
    )
    .post(
      "/questionnaires/:slug/responses",
      async ({ caller, params, body, request, set }) => {
        const { status, ...receipt } = await questionnaires.respond(
          caller,
          params.slug,
          body,
          request.headers.get("cf-ipcountry"),
        );
        set.status = status;
        return receipt;
      },
      {
        permission: "events:write",
        rateLimit: "sdk",
        parse: [sdkJson, "json"],
        params: SlugParams,
        body: ResponseBody,
        response: { 200: ResponseReceipt, 201: ResponseReceipt, ...sdkErrors },
        detail: {
          tags,
          summary: "Save a draft of the answers, or submit them (is_complete: true)",
        },
      },
    )
    .get("/questionnaires", ({ caller, query }) => questionnaires.listTeam(caller, query), {
      permission: "questionnaires:read",
      query: TeamQuestionnaireQuery,
      response: { 200: TeamQuestionnaireList, ...authErrors },
      detail: {
        tags,
        summary: "The questionnaires of the caller's teams (or one team or project), at most 500",
      },
    })
    .get("/questionnaires/count", ({ caller, query }) => questionnaires.count(caller, query), {
      permission: "questionnaires:read",
      query: TeamScopeQuery,
      response: { 200: CountResponse, ...authErrors },
      detail: { tags, summary: "How many production responses the caller's teams hold (drafts included)" },
    })
    .get(project, ({ caller, params, query }) => questionnaires.list(caller, params.id, query), {
      permission: "questionnaires:read",
      params: ProjectParams,
      query: QuestionnaireListQuery,
      response: { 200: QuestionnaireList, ...authErrors },
      detail: { tags, summary: "A project's questionnaires with their response counts" },
    })
    .post(
      project,
      async ({ caller, params, body, set }) => {
        const created = await questionnaires.create(caller, params.id, body);
        set.status = 201;
        return created;
      },
      {
        permission: "questionnaires:write",
        params: ProjectParams,
        body: QuestionnaireBody,
        response: { 201: Questionnaire, 409: ErrorBody, ...authErrors },
        detail: { tags, summary: "Define a questionnaire" },
      },
    )
    .get(
      `${project}/:questionnaireId`,
      ({ caller, params }) => questionnaires.get(caller, params.id, params.questionnaireId),
      {
        permission: "questionnaires:read",
        params: QuestionnaireParams,
        response: { 200: Questionnaire, ...authErrors },
        detail: { tags, summary: "One questionnaire" },
      },
    )
    .patch(
      `${project}/:questionnaireId`,
      ({ caller, params, body }) => questionnaires.update(caller, params.id, params.questionnaireId, body),
      {
        permission: "questionnaires:write",
        params: QuestionnaireParams,
        body: QuestionnaireBody,
        response: { 200: Questionnaire, ...authErrors },
        detail: { tags, summary: "Change a questionnaire (not its slug)" },
      },
    )
    .delete(
      `${project}/:questionnaireId`,
      ({ caller, params }) => questionnaires.remove(caller, params.id, params.questionnaireId),
      {
        permission: "questionnaires:write",
        params: QuestionnaireParams,
        response: { 200: Deleted, ...authErrors },
        detail: { tags, summary: "Delete a questionnaire (signed-in users only)" },
      },
    )
    .get(
      `${project}/:questionnaireId/responses`,
      ({ caller, params, query }) =>
        questionnaires.responses(caller, params.id, params.questionnaireId, query),
      {
        permission: "questionnaires:read",
        params: QuestionnaireParams,
        query: ResponsesQuery,
        response: { 200: ResponseList, ...authErrors },
        detail: { tags, summary: "A questionnaire's responses, drafts included unless asked" },
      },
    )
    .get(
      `${project}/:questionnaireId/responses/:responseId`,
      ({ caller, params }) =>
        questionnaires.response(caller, params.id, params.questionnaireId, params.responseId),
      {
        permission: "questionnaires:read",
        params: ResponseParams,
        response: { 200: QuestionnaireResponse, ...authErrors },
        detail: { tags, summary: "One response" },
      },
    )
    .patch(
      `${project}/:questionnaireId/responses/:responseId`,
      ({ caller, params, body }) =>
        questionnaires.setResponseStatus(caller, params.id, params.questionnaireId, params.responseId, body),
      {
        permission: "questionnaires:write",
        params: ResponseParams,
        body: StatusBody,
        response: { 200: QuestionnaireResponse, ...authErrors },
        detail: { tags, summary: "Set a response's status: new, in_review, addressed or dismissed" },
      },
    )
    .delete(
      `${project}/:questionnaireId/responses/:responseId`,
      ({ caller, params }) =>
        questionnaires.removeResponse(caller, params.id, params.questionnaireId, params.responseId),
      {
        permission: "questionnaires:write",
        params: ResponseParams,
        response: { 200: Deleted, ...authErrors },
        detail: { tags, summary: "Delete a response (signed-in users only); the user may answer again" },
      },
    );
}
