import type { TLiteral, TUnion } from "@sinclair/typebox";
import { t } from "elysia";

/** Schemas shared by every module's model.ts. */
export const Uuid = t.String({ format: "uuid", description: "A UUID" });
export const Timestamp = t.String({
  description: "ISO-8601 UTC with milliseconds",
  examples: ["2024-01-15T10:30:00.000Z"],
});
export const NullableTimestamp = t.Union([Timestamp, t.Null()]);
export const ErrorBody = t.Object({ error: t.String() }, { additionalProperties: true });
/** What a DELETE answers. */
export const Deleted = t.Object({ id: Uuid, deleted: t.Literal(true) });
/** What Owlmetry's triage DELETEs answer (feedback, comments). */
export const DeletedFlag = t.Object({ deleted: t.Literal(true) });
export const IdParams = t.Object({ id: t.String({ description: "The object's id" }) });

/** The error responses every authenticated /v1 route can give. */
export const authErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;

/**
 * One of a fixed list of strings. Not `t.UnionEnum`: Elysia gives that a default (its first value),
 * so a missing required field would silently become, say, role "owner".
 */
export const oneOf = <const T extends string>(
  values: readonly T[],
  options: { error?: string; description?: string } = {},
) =>
  t.Union(values.map((v) => t.Literal(v)) as TLiteral<T>[], {
    error: options.error ?? `must be one of ${values.join(", ")}`,
    description: options.description,
  }) as unknown as TUnion<[TLiteral<T>, ...TLiteral<T>[]]>;

/** Documents a body the route reads itself (`parse: "none"`, or a parser of its own). */
export const jsonBodyDoc = (schema: object) => ({
  requestBody: { required: true, content: { "application/json": { schema } } },
});
