import { timingSafeEqual } from "node:crypto";
import { Elysia, t } from "elysia";
import { notFound, unauthorized } from "../../lib/errors";
import type { Monitoring } from "./service";

/**
 * `GET /metrics` for Prometheus, only when ROOST_METRICS_TOKEN is set and sent as a bearer token
 * (decision 013): off by default, and no metric is readable without the operator's secret.
 */
export function monitoringRoutes(monitoring: Monitoring, token: string | null) {
  return new Elysia().get(
    "/metrics",
    async ({ request, set }) => {
      if (token === null) throw notFound("Not found");
      const sent = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
      const a = Buffer.from(sent);
      const b = Buffer.from(token);
      if (a.length !== b.length || !timingSafeEqual(a, b))
        throw unauthorized("Missing or invalid metrics token");
      set.headers["content-type"] = monitoring.contentType;
      return monitoring.text();
    },
    {
      response: {
        200: t.String(),
        401: t.Object({ error: t.String() }),
        404: t.Object({ error: t.String() }),
      },
      detail: {
        tags: ["operations"],
        summary: "Prometheus metrics (with ROOST_METRICS_TOKEN as a bearer token; off without it)",
      },
    },
  );
}
