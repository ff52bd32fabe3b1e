import { Elysia } from "elysia";
import { ApiError } from "../../lib/errors";
import type { RateLimiter } from "../../lib/rate-limit";
import { authErrors, ErrorBody, IdParams } from "../../lib/schemas";
import { type Caller, callerId } from "../access/caller";
import type { AuthGuard } from "../access/guard";
import { CountQuery, CountResponse, EventDetail, ListQuery, ListResponse } from "./model";
import type { EventsService } from "./service";

export function eventsRoutes(guard: AuthGuard, events: EventsService, limiter: RateLimiter) {
  /** Takes one token for the caller; every response carries the bucket's state. */
  const limit = (caller: Caller, headers: Record<string, unknown>) => {
    const taken = limiter.take(callerId(caller));
    headers["x-ratelimit-limit"] = String(limiter.burst);
    headers["x-ratelimit-remaining"] = String(taken.ok ? taken.remaining : 0);
    if (!taken.ok)
      throw new ApiError(429, "Rate limit exceeded", {}, { "retry-after": String(taken.retryAfter) });
  };
  const errors = { ...authErrors, 429: ErrorBody };
  return new Elysia({ prefix: "/v1/events" })
    .use(guard)
    .get(
      "",
      ({ caller, query, set }) => {
        limit(caller, set.headers);
        return events.list(caller, query);
      },
      {
        permission: "events:read",
        query: ListQuery,
        response: { 200: ListResponse, ...errors },
        detail: {
          tags: ["events"],
          summary: "List events, newest first (or order=asc), with cursor pagination",
        },
      },
    )
    .get(
      "/count",
      ({ caller, query, set }) => {
        limit(caller, set.headers);
        return events.count(caller, query);
      },
      {
        permission: "events:read",
        query: CountQuery,
        response: { 200: CountResponse, ...errors },
        detail: { tags: ["events"], summary: "Count matching events, with exact unique users and sessions" },
      },
    )
    .get(
      "/:id",
      ({ caller, params, set }) => {
        limit(caller, set.headers);
        return events.get(caller, params.id);
      },
      {
        permission: "events:read",
        params: IdParams,
        response: { 200: EventDetail, ...errors },
        detail: { tags: ["events"], summary: "One event, with its project and attachments" },
      },
    );
}
