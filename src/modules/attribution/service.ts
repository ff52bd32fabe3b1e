import { ApiError, badRequest } from "../../lib/errors";
import type { KeyCaller } from "../access/caller";
import type { AppContexts } from "../apps/context";
import type { IdentityService } from "../identity/service";
import { devMock, type Resolution, resolveWithApple } from "./apple";

/**
 * Owlmetry's install attribution (the Swift SDK sends Apple Search Ads tokens): Apple's answer
 * becomes the user's properties.
 */
export class AttributionService {
  constructor(
    private readonly contexts: AppContexts,
    private readonly identity: Pick<IdentityService, "mergeProperties">,
    private readonly config: { appleUrl: string; devMock: boolean },
  ) {}

  async attribute(caller: KeyCaller, source: string, body: Record<string, unknown>) {
    if (source !== "apple-search-ads") throw badRequest(`Unknown attribution source: ${source}`);
    if (typeof body.user_id !== "string" || body.user_id.length === 0)
      throw badRequest("user_id is required");
    if (typeof body.attribution_token !== "string") throw badRequest("attribution_token is required");
    const { project } = await this.contexts.of(caller);
    const answer: Resolution =
      (this.config.devMock ? devMock(body.dev_mock) : null) ??
      (await resolveWithApple(this.config.appleUrl, body.attribution_token));
    if (answer.kind === "pending") {
      return {
        attributed: null,
        pending: true,
        retry_after_seconds: answer.retryAfterSeconds,
        properties: {},
      };
    }
    if (answer.kind === "upstream") {
      // A 5xx: the SDK tries again on its next launch.
      throw new ApiError(502, "Attribution upstream error", {
        statusCode: answer.status,
        message: answer.message,
      });
    }
    await this.identity.mergeProperties(project.id, body.user_id, answer.properties, [], new Date(), false);
    return { attributed: answer.attributed, pending: false, properties: answer.properties };
  }
}
