import { Elysia } from "elysia";
import { authErrors } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { ReleaseHealthQuery, ReleaseHealthResponse } from "./model";
import type { ReleasesService } from "./service";

export function releasesRoutes(guard: AuthGuard, releases: ReleasesService) {
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get("/release-health", ({ caller, query }) => releases.health(caller, query), {
      permission: "events:read",
      query: ReleaseHealthQuery,
      response: { 200: ReleaseHealthResponse, ...authErrors },
      detail: {
        tags: ["releases"],
        summary:
          "Sessions per release and environment, as Sentry's SDKs report them, with the crash-free rate",
      },
    });
}
