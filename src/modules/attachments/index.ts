import { Elysia } from "elysia";
import { authErrors, ErrorBody, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import {
  AttachmentDetail,
  DeleteResponse,
  ListQuery,
  ListResponse,
  ReserveBody,
  ReserveResponse,
  SignedQuery,
  UploadResponse,
} from "./model";
import type { AttachmentsService } from "./service";

const writeErrors = { ...authErrors, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody };

export function attachmentsRoutes(guard: AuthGuard, attachments: AttachmentsService) {
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .post(
      "/ingest/attachment",
      async ({ caller, body, request, set }) => {
        const reply = await attachments.reserve(caller, body, request);
        set.status = 201;
        return reply;
      },
      {
        ingestKey: "client",
        body: ReserveBody,
        response: { 201: ReserveResponse, ...writeErrors },
        detail: {
          tags: ["attachments"],
          summary: "Reserve an attachment for an event; answers a signed upload URL good for 15 minutes",
        },
      },
    )
    .put(
      "/ingest/attachment/:id/upload",
      ({ caller, params, query, request }) => attachments.upload(caller, params.id, query, request),
      {
        ingestKey: "client",
        parse: "none",
        params: IdParams,
        query: SignedQuery,
        response: { 200: UploadResponse, ...writeErrors },
        detail: {
          tags: ["attachments"],
          summary: "Upload the reserved bytes (application/octet-stream), streamed to disk and checked",
        },
      },
    )
    .get("/attachments", ({ caller, query }) => attachments.list(caller, query), {
      permission: "events:read",
      query: ListQuery,
      response: { 200: ListResponse, ...authErrors },
      detail: { tags: ["attachments"], summary: "List uploaded attachments, newest first, with a cursor" },
    })
    .get("/attachments/:id", ({ caller, params, request }) => attachments.get(caller, params.id, request), {
      permission: "events:read",
      params: IdParams,
      response: { 200: AttachmentDetail, ...authErrors },
      detail: {
        tags: ["attachments"],
        summary: "One attachment, with a signed download URL good for 60 seconds",
      },
    })
    .get("/attachments/:id/download", ({ params, query }) => attachments.download(params.id, query), {
      params: IdParams,
      query: SignedQuery,
      detail: {
        tags: ["attachments"],
        summary: "The bytes, for a signed download URL (no other credentials)",
        security: [],
      },
    })
    .delete("/attachments/:id", ({ caller, params }) => attachments.remove(caller, params.id), {
      permission: "org:write",
      params: IdParams,
      response: { 200: DeleteResponse, ...authErrors },
      detail: { tags: ["attachments"], summary: "Soft-delete an attachment" },
    });
}
