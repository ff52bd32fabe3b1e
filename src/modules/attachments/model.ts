import { t } from "elysia";
import { NullableTimestamp, Timestamp, Uuid } from "../../lib/schemas";

export const ReserveBody = t.Object({
  client_event_id: t.String({
    minLength: 1,
    maxLength: 255,
    error: "client_event_id must be a string of 1 to 255 characters",
  }),
  user_id: t.Optional(
    t.Union([t.String({ maxLength: 255 }), t.Null()], {
      error: "user_id must be a string of up to 255 characters",
    }),
  ),
  original_filename: t.String({
    minLength: 1,
    maxLength: 255,
    error: "original_filename must be a string of 1 to 255 characters",
  }),
  content_type: t.String({
    pattern: "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(;.*)?$",
    maxLength: 255,
    error: "content_type must be a media type such as text/plain",
  }),
  size_bytes: t.Integer({ minimum: 0, error: "size_bytes must be a whole number of bytes, 0 or more" }),
  sha256: t.String({ pattern: "^[0-9a-fA-F]{64}$", error: "sha256 must be 64 hexadecimal characters" }),
  is_dev: t.Optional(t.Boolean({ error: "is_dev must be true or false" })),
});
export type ReserveBody = typeof ReserveBody.static;

export const ReserveResponse = t.Object({
  attachment_id: Uuid,
  upload_url: t.String({ description: "PUT the bytes here with the same client key; good for 15 minutes" }),
  expires_at: Timestamp,
});

export const UploadResponse = t.Object({
  attachment_id: Uuid,
  size_bytes: t.Integer(),
  sha256: t.String(),
});

export const SignedQuery = t.Object({
  expires: t.Optional(t.String()),
  signature: t.Optional(t.String()),
});

export const Attachment = t.Object({
  id: Uuid,
  event_id: t.Union([Uuid, t.Null()]),
  event_client_id: t.String(),
  app_id: Uuid,
  project_id: Uuid,
  user_id: t.Union([t.String(), t.Null()]),
  original_filename: t.String(),
  content_type: t.String(),
  size_bytes: t.Integer(),
  sha256: t.String(),
  is_dev: t.Boolean(),
  uploaded_at: NullableTimestamp,
  created_at: Timestamp,
});

export const AttachmentDetail = t.Composite([
  Attachment,
  t.Object({ download_url: t.String({ description: "Signed; good for 60 seconds, no other auth needed" }) }),
]);

export const ListQuery = t.Object({
  event_id: t.Optional(t.String({ format: "uuid", error: "event_id must be a UUID" })),
  event_client_id: t.Optional(t.String({ minLength: 1, error: "event_client_id must not be empty" })),
  project_id: t.Optional(t.String({ format: "uuid", error: "project_id must be a UUID" })),
  cursor: t.Optional(t.String()),
  limit: t.Optional(t.String()),
});

export const ListResponse = t.Object({
  attachments: t.Array(Attachment),
  cursor: t.Union([t.String(), t.Null()]),
  has_more: t.Boolean(),
});

export const DeleteResponse = t.Object({ deleted: t.Literal(true) });
