import { Elysia } from "elysia";
import { authErrors, DeletedFlag, ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CompletionsCount, TeamQuery } from "../analytics/model";
import {
  CreateFunnel,
  DefinitionIdParams,
  ExperimentList,
  ExperimentsQuery,
  FunnelDefinition,
  FunnelList,
  FunnelQuery,
  FunnelQueryResult,
  ProjectParams,
  SlugParams,
  UpdateFunnel,
} from "./model";
import type { FunnelsService } from "./service";

const tags = ["funnels"];

/** Owlmetry's funnels API, and the experiments seen (decision 012). */
export function funnelsRoutes(guard: AuthGuard, funnels: FunnelsService) {
  const one = "/projects/:id/funnels/:slug";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get("/projects/:id/funnels", ({ caller, params }) => funnels.list(caller, params.id), {
      permission: "funnels:read",
      params: ProjectParams,
      response: { 200: FunnelList, ...authErrors },
      detail: { tags, summary: "A project's funnel definitions" },
    })
    .post(
      "/projects/:id/funnels",
      async ({ caller, params, body, set }) => {
        const created = await funnels.create(caller, params.id, body);
        set.status = 201;
        return created;
      },
      {
        permission: "funnels:write",
        params: ProjectParams,
        body: CreateFunnel,
        response: { 201: FunnelDefinition, 409: ErrorBody, ...authErrors },
        detail: { tags, summary: "Define a funnel: 1 to 20 ordered steps" },
      },
    )
    .get(one, ({ caller, params }) => funnels.get(caller, params.id, params.slug), {
      permission: "funnels:read",
      params: SlugParams,
      response: { 200: FunnelDefinition, ...authErrors },
      detail: { tags, summary: "One funnel definition by slug" },
    })
    .patch(one, ({ caller, params, body }) => funnels.update(caller, params.id, params.slug, body), {
      permission: "funnels:write",
      params: SlugParams,
      body: UpdateFunnel,
      response: { 200: FunnelDefinition, ...authErrors },
      detail: { tags, summary: "Change a funnel's name, description or steps" },
    })
    .delete(one, ({ caller, params }) => funnels.remove(caller, params.id, params.slug), {
      permission: "funnels:write",
      params: SlugParams,
      response: { 200: DeletedFlag, ...authErrors },
      detail: { tags, summary: "Delete a funnel definition" },
    })
    .get(
      `${one}/query`,
      ({ caller, params, query }) => funnels.query(caller, params.id, params.slug, query),
      {
        permission: "funnels:read",
        params: SlugParams,
        query: FunnelQuery,
        response: { 200: FunnelQueryResult, ...authErrors },
        detail: { tags, summary: "Users per step, drop-off and time between steps; open or closed; grouped" },
      },
    )
    .get(
      "/projects/:id/experiments",
      ({ caller, params, query }) => funnels.experiments(caller, params.id, query),
      {
        permission: "funnels:read",
        params: ProjectParams,
        query: ExperimentsQuery,
        response: { 200: ExperimentList, ...authErrors },
        detail: { tags, summary: "Experiments and variants seen on metric and step events" },
      },
    )
    .get("/funnels/completions/count", ({ caller, query }) => funnels.completions(caller, query), {
      permission: "funnels:read",
      query: TeamQuery,
      response: { 200: CompletionsCount, ...authErrors },
      detail: { tags, summary: "Events matching the first and last steps of every funnel in scope" },
    })
    .get("/funnels/by-id/:id", ({ caller, params }) => funnels.byId(caller, params.id), {
      permission: "funnels:read",
      params: DefinitionIdParams,
      response: { 200: FunnelDefinition, ...authErrors },
      detail: { tags, summary: "One funnel definition by id" },
    });
}
