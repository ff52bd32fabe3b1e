import { Elysia, t } from "elysia";
import { sdkJson } from "../../lib/body";
import { ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import type { AttributionService } from "./service";

const Body = t.Object({
  user_id: t.Unknown({ description: "the user (an anonymous id is fine)" }),
  attribution_token: t.Unknown({ description: "AAAttribution.attributionToken()" }),
  dev_mock: t.Optional(
    t.Unknown({ description: "attributed, unattributed or pending (with ROOST_ATTRIBUTION_DEV_MOCK=1)" }),
  ),
});
const Reply = t.Object({
  attributed: t.Union([t.Boolean(), t.Null()]),
  pending: t.Boolean(),
  retry_after_seconds: t.Optional(t.Integer()),
  properties: t.Record(t.String(), t.String()),
});

export function attributionRoutes(guard: AuthGuard, attribution: AttributionService) {
  return new Elysia({ prefix: "/v1/identity/attribution" })
    .use(guard)
    .post("/:source", ({ caller, params, body }) => attribution.attribute(caller, params.source, body), {
      appKey: true,
      parse: [sdkJson, "json"],
      params: t.Object({ source: t.String({ description: "apple-search-ads" }) }),
      body: Body,
      response: { 200: Reply, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 502: ErrorBody },
      detail: {
        tags: ["identity"],
        summary: "Record where an install came from (Apple Search Ads, asked of Apple), as user properties",
      },
    });
}
