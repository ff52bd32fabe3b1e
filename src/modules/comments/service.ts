import { badRequest, forbidden, notFound } from "../../lib/errors";
import { isUuid, newId } from "../../lib/ids";
import type { SharedWriter, Tx } from "../../store/db";
import { type Caller, permissionsIn } from "../access/caller";
import {
  type CommentRow,
  findComment,
  insertComment,
  keyName,
  softDeleteComment,
  type Thread,
  updateComment,
} from "./repository";

/**
 * Comments on feedback and on issues, with Owlmetry's rules: anyone who may write the thing
 * comments; only the author edits; the author or a team admin deletes (softly). Every write goes
 * through the group commit after `live` has checked, in the same transaction, that the thing exists.
 */
export class Comments {
  constructor(
    private readonly writer: SharedWriter,
    private readonly thread: Thread,
    /** Throws the thing's 404 when it does not exist (or is deleted). */
    private readonly live: (tx: Tx, projectId: string, parentId: string) => Promise<unknown>,
  ) {}

  async add(
    caller: Caller,
    projectId: string,
    parentId: string,
    body: { body: unknown },
  ): Promise<CommentRow> {
    const text = commentText(body.body);
    return this.writer.run(async (tx) => {
      await this.live(tx, projectId, parentId);
      const at = new Date();
      const comment: CommentRow = {
        id: newId(),
        parent_id: parentId.toLowerCase(),
        author_type: caller.type === "user" ? "user" : "agent",
        author_id: authorId(caller),
        author_name:
          caller.type === "user"
            ? caller.name || caller.email
            : ((await keyName(tx, caller.keyId)) ?? "Agent"),
        body: text,
        created_at: at,
        updated_at: at,
      };
      return async (tx) => {
        await insertComment(tx, this.thread, comment);
        return comment;
      };
    });
  }

  async edit(
    caller: Caller,
    projectId: string,
    parentId: string,
    commentId: string,
    body: { body: unknown },
  ): Promise<CommentRow> {
    const text = commentText(body.body);
    return this.writer.run(async (tx) => {
      const comment = await this.find(tx, projectId, parentId, commentId);
      if (comment.author_id !== authorId(caller))
        throw forbidden("Only the original author can edit this comment");
      const at = new Date();
      return async (tx) => {
        await updateComment(tx, this.thread, comment.id, text, at);
        return { ...comment, body: text, updated_at: at };
      };
    });
  }

  async remove(caller: Caller, teamId: string, projectId: string, parentId: string, commentId: string) {
    await this.writer.run(async (tx) => {
      const comment = await this.find(tx, projectId, parentId, commentId);
      const admin = caller.type === "user" && (permissionsIn(caller, teamId) ?? []).includes("org:admin");
      if (comment.author_id !== authorId(caller) && !admin) {
        throw forbidden("Only the original author or a team admin can delete this comment");
      }
      return (tx) => softDeleteComment(tx, this.thread, comment.id, new Date());
    });
    return { deleted: true as const };
  }

  private async find(tx: Tx, projectId: string, parentId: string, commentId: string) {
    await this.live(tx, projectId, parentId);
    const comment = isUuid(commentId) ? await findComment(tx, this.thread, parentId, commentId) : null;
    if (!comment) throw notFound("Comment not found");
    return comment;
  }
}

const authorId = (caller: Caller) => (caller.type === "user" ? caller.userId : caller.keyId);

function commentText(body: unknown): string {
  const text = typeof body === "string" ? body.trim() : "";
  if (text.length === 0) throw badRequest("body is required");
  return text;
}

/** A comment as the API shows it, under the name of the thing it belongs to. */
export function presentComment<K extends string>(c: CommentRow, parentKey: K) {
  return {
    id: c.id,
    [parentKey]: c.parent_id,
    author_type: c.author_type,
    author_id: c.author_id,
    author_name: c.author_name,
    body: c.body,
    created_at: c.created_at.toISOString(),
    updated_at: c.updated_at.toISOString(),
  } as {
    id: string;
    author_type: "user" | "agent";
    author_id: string;
    author_name: string;
    body: string;
    created_at: string;
    updated_at: string;
  } & Record<K, string>;
}
