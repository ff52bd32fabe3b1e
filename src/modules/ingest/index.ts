import { Elysia } from "elysia";
import { ErrorBody, jsonBodyDoc } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { ClientReportBody, ClientReportResponse, ImportResponse, IngestBody, IngestResponse } from "./model";
import type { IngestService } from "./service";

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
};

export function ingestRoutes(guard: AuthGuard, ingest: IngestService) {
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .post(
      "/ingest",
      async ({ caller, request }) => {
        const { updated: _, ...reply } = await ingest.ingest(caller, request, "ingest");
        return reply;
      },
      {
        ingestKey: "client",
        parse: "none",
        response: { 200: IngestResponse, ...errors },
        detail: {
          tags: ["ingest"],
          summary:
            "Send 1 to 1000 events (Owlmetry's protocol; gzip accepted); answered after they are durable",
          ...jsonBodyDoc(IngestBody),
        },
      },
    )
    .post(
      "/import",
      async ({ caller, request }) => {
        const { duplicates: _, ...reply } = await ingest.ingest(caller, request, "import");
        return reply;
      },
      {
        ingestKey: "import",
        parse: "none",
        response: { 200: ImportResponse, ...errors },
        detail: {
          tags: ["ingest"],
          summary:
            "Backfill up to 10,000 events: old timestamps allowed, no quota, existing ids updated in place",
          ...jsonBodyDoc(IngestBody),
        },
      },
    )
    .post("/client-reports", ({ caller, request }) => ingest.clientReport(caller, request), {
      ingestKey: "client",
      parse: "none",
      response: { 200: ClientReportResponse, ...errors },
      detail: {
        tags: ["ingest"],
        summary: "Record what an SDK discarded before sending (client_discard outcomes)",
        ...jsonBodyDoc(ClientReportBody),
      },
    });
}
