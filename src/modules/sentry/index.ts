import { Elysia } from "elysia";
import { SentryAccepted, SentryError, SentryParams, SentryQuery } from "./model";
import type { SentryService } from "./service";

const errors = {
  400: SentryError,
  401: SentryError,
  403: SentryError,
  404: SentryError,
  413: SentryError,
  415: SentryError,
  429: SentryError,
};

/**
 * Sentry's ingest endpoints, as its SDKs call them with a DSN: the envelope, and the legacy store
 * of one bare event. The key travels in the query, a header or the envelope (sentry/auth.ts), so
 * these routes authenticate in the service, not through the guard. Browser SDKs send from other
 * origins: every answer allows any origin, as Sentry's do.
 */
export function sentryRoutes(sentry: SentryService) {
  const route = (bare: boolean) => ({
    parse: "none" as const,
    params: SentryParams,
    query: SentryQuery,
    response: { 200: SentryAccepted, ...errors },
    detail: {
      tags: ["sentry"],
      summary: bare
        ? "Sentry's legacy store endpoint: one event as JSON, authenticated by the DSN's key"
        : "Sentry's envelope endpoint: what Sentry's SDKs send with a DSN (events, transactions, spans, logs, sessions, client reports, …)",
    },
  });
  const receive =
    (bare: boolean) =>
    async ({
      request,
      params,
      set,
    }: {
      request: Request;
      params: { projectId: string };
      set: { headers: Record<string, string | number> };
    }) => {
      set.headers["access-control-allow-origin"] = "*";
      set.headers["access-control-expose-headers"] = "x-sentry-rate-limits, retry-after";
      const reply = await sentry.receive(request, params.projectId, bare);
      Object.assign(set.headers, reply.headers);
      return { id: reply.id };
    };
  return new Elysia({ prefix: "/api/:projectId" })
    .post("/envelope/", receive(false), route(false))
    .post("/envelope", receive(false), route(false))
    .post("/store/", receive(true), route(true))
    .post("/store", receive(true), route(true));
}
