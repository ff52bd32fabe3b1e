import { Elysia } from "elysia";
import type { AuthGuard } from "../access/guard";
import { Detail, SlugParams, StatsResponse, StatsV2Query } from "./model";
import type { StatsQuery } from "./params";
import type { StatsService } from "./service";

/** Repeated parameters read from the URL itself, so `field=a&field=b` is two values. */
function rawQuery(request: Request): StatsQuery {
  const params = new URL(request.url).searchParams;
  const out: StatsQuery = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    out[name] = values.length === 1 ? values[0] : values;
  }
  return out;
}

export function statsRoutes(guard: AuthGuard, stats: StatsService) {
  const handler = ({
    caller,
    params,
    request,
  }: {
    caller: Parameters<StatsService["query"]>[0];
    params: { slug: string };
    request: Request;
  }) => stats.query(caller, params.slug, rawQuery(request));
  const options = {
    signedIn: true as const,
    rateLimit: "stats" as const,
    query: StatsV2Query,
    params: SlugParams,
    response: { 200: StatsResponse, 400: Detail, 401: Detail, 403: Detail, 404: Detail, 429: Detail },
    detail: { tags: ["stats"], summary: "Sentry's stats_v2: outcome counts as grouped time series" },
  };
  return new Elysia({ prefix: "/api/0/organizations" })
    .use(guard)
    .get("/:slug/stats_v2/", handler, options)
    .get("/:slug/stats_v2", handler, { ...options, detail: { ...options.detail, hide: true } });
}
