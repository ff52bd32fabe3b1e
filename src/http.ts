import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import type { Config } from "./config";
import { errorHandler } from "./lib/error-handler";
import type { Logger } from "./lib/log";
import { type Limiter, RateLimiter } from "./lib/rate-limit";
import type { Caller } from "./modules/access/caller";
import type { RateLimits } from "./modules/access/guard";
import { dashboardRoutes } from "./modules/dashboard";
import { healthRoutes } from "./modules/health";

/**
 * What every Roost answers with, whatever its store: the error contract (registered before any
 * route), a log line per request (route, status, ms, team), the OpenAPI document and /health.
 * `answered` hears of each request (the Prometheus counters).
 */
export function httpShell(
  config: Config,
  log: Logger,
  answered: (method: string, route: string, status: number, ms: number) => void = () => {},
) {
  const started = new WeakMap<Request, number>();
  return new Elysia({ serve: { routes: dashboardRoutes } })
    .use(errorHandler(log))
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, set, route } = context;
      const t0 = started.get(request);
      const ms = t0 === undefined ? 0 : performance.now() - t0;
      const status = typeof set.status === "number" ? set.status : 200;
      answered(request.method, route || "unmatched", status, ms);
      // The path without its query (signed URLs carry their signature there), never a header.
      log.info("request", {
        method: request.method,
        route: route || undefined,
        path: new URL(request.url).pathname,
        status: set.status,
        ms: t0 === undefined ? undefined : Math.round(ms * 10) / 10,
        team: teamOf((context as { caller?: Caller }).caller),
      });
    })
    .use(
      openapi({
        path: "/docs",
        documentation: {
          info: {
            title: "Roost",
            version: config.version,
            description:
              "Self-hosted app telemetry: Owlmetry-protocol ingest and events API, Sentry stats_v2.",
          },
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", description: "An API key or a JWT" },
            },
          },
          security: [{ bearer: [] }],
        },
      }),
    )
    .use(healthRoutes(config.version));
}

/**
 * The per-caller limits of the read APIs, as configured; `bucket` makes each limit's buckets (this
 * process's by default; a cluster node's are shared through PostgreSQL).
 */
export function rateLimits(
  config: Config,
  bucket: (name: keyof RateLimits, burst: number, perSecond: number) => Limiter = (_, burst, perSecond) =>
    new RateLimiter(burst, perSecond),
): RateLimits {
  return {
    events: {
      limiter: bucket("events", config.eventsRateLimit.burst, config.eventsRateLimit.perSecond),
      message: "Rate limit exceeded",
      headers: true,
    },
    stats: {
      limiter: bucket("stats", config.statsRateLimit.burst, config.statsRateLimit.perSecond),
      message: "Request was throttled. Expected available in 1 second.",
      headers: false,
    },
    // Owlmetry's limit on its SDKs' feedback and questionnaire calls: 100 at once, 10 a second more, per key.
    sdk: { limiter: bucket("sdk", 100, 10), message: "Rate limit exceeded", headers: false },
  };
}

/** The team a request acted for, for its log line: a key's team, or a user's teams. */
function teamOf(caller: Caller | undefined): string | undefined {
  if (!caller) return undefined;
  return caller.type === "key" ? caller.teamId : [...caller.roles.keys()].join(",") || undefined;
}
