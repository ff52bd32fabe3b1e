import { t } from "elysia";
import { oneOf, Timestamp, Uuid } from "../../lib/schemas";

/** A comment as the API shows it, with the id of what it is on under `parentKey` (Owlmetry's names). */
export const commentSchema = <K extends string>(parentKey: K) =>
  t.Object({
    id: Uuid,
    ...({ [parentKey]: Uuid } as Record<K, typeof Uuid>),
    author_type: oneOf(["user", "agent"] as const),
    author_id: Uuid,
    author_name: t.String(),
    body: t.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  });

export const CommentBody = t.Object({ body: t.Unknown({ description: "Markdown text" }) });
