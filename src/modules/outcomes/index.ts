import { Elysia } from "elysia";
import { authErrors } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { RecordOutcomesBody, RecordOutcomesResponse } from "./model";
import type { OutcomesService } from "./service";

export function outcomesRoutes(guard: AuthGuard, outcomes: OutcomesService) {
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .post("/outcomes", ({ caller, body }) => outcomes.record(caller, body.outcomes), {
      permission: "org:admin",
      body: RecordOutcomesBody,
      response: { 200: RecordOutcomesResponse, ...authErrors },
      detail: {
        tags: ["outcomes"],
        summary: "Record outcome rows as given (backfills, relays); up to 10,000",
      },
    });
}
