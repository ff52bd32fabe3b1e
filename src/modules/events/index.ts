import { Elysia } from "elysia";
import { authErrors, ErrorBody, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CountQuery, CountResponse, EventDetail, ListQuery, ListResponse } from "./model";
import type { EventsService } from "./service";

export function eventsRoutes(guard: AuthGuard, events: EventsService) {
  const errors = { ...authErrors, 429: ErrorBody };
  return new Elysia({ prefix: "/v1/events" })
    .use(guard)
    .get("", ({ caller, query }) => events.list(caller, query), {
      permission: "events:read",
      rateLimit: "events",
      query: ListQuery,
      response: { 200: ListResponse, ...errors },
      detail: {
        tags: ["events"],
        summary: "List events, newest first (or order=asc), with cursor pagination",
      },
    })
    .get("/count", ({ caller, query }) => events.count(caller, query), {
      permission: "events:read",
      rateLimit: "events",
      query: CountQuery,
      response: { 200: CountResponse, ...errors },
      detail: { tags: ["events"], summary: "Count matching events, with exact unique users and sessions" },
    })
    .get("/:id", ({ caller, params }) => events.get(caller, params.id), {
      permission: "events:read",
      rateLimit: "events",
      params: IdParams,
      response: { 200: EventDetail, ...errors },
      detail: { tags: ["events"], summary: "One event, with its project and attachments" },
    });
}
