import { Elysia } from "elysia";
import { sdkJson } from "../../lib/body";
import { ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { ClaimBody, ClaimResponse, PropertiesBody, PropertiesResponse } from "./model";
import type { IdentityService } from "./service";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 413: ErrorBody };

/** Owlmetry's identity routes, for the key an app ships (gzip bodies accepted, as its SDKs send them). */
export function identityRoutes(guard: AuthGuard, identity: IdentityService) {
  return new Elysia({ prefix: "/v1/identity" })
    .use(guard)
    .post("/claim", ({ caller, body }) => identity.claim(caller, body), {
      appKey: true,
      parse: [sdkJson, "json"],
      body: ClaimBody,
      response: { 200: ClaimResponse, ...errors },
      detail: {
        tags: ["identity"],
        summary:
          "Link an anonymous id to a signed-in user: their events, counts and properties become one user's",
      },
    })
    .post("/properties", ({ caller, body }) => identity.setProperties(caller, body), {
      appKey: true,
      parse: [sdkJson, "json"],
      body: PropertiesBody,
      response: { 200: PropertiesResponse, ...errors },
      detail: {
        tags: ["identity"],
        summary:
          'Merge string properties into a user\'s ("" deletes one): 50 keys of 50 characters, values of 200',
      },
    });
}
