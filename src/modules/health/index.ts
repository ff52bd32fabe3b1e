import { Elysia, t } from "elysia";

export function healthRoutes(version: string) {
  return new Elysia().get("/health", () => ({ status: "ok" as const, version }), {
    response: { 200: t.Object({ status: t.Literal("ok"), version: t.String() }) },
    detail: { tags: ["health"], summary: "Liveness and version" },
  });
}
