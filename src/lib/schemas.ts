import { t } from "elysia";

/** Schemas shared by every module's model.ts. */
export const Uuid = t.String({ format: "uuid", description: "A UUID" });
export const Timestamp = t.String({
  description: "ISO-8601 UTC with milliseconds",
  examples: ["2024-01-15T10:30:00.000Z"],
});
export const NullableTimestamp = t.Union([Timestamp, t.Null()]);
export const ErrorBody = t.Object({ error: t.String() }, { additionalProperties: true });
export const IdParams = t.Object({ id: t.String({ description: "The object's id" }) });

/** The error responses every authenticated /v1 route can give. */
export const authErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;
