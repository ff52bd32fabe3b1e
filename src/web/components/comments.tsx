import { useState } from "preact/hooks";
import { api } from "../api";
import { minute } from "./fields";

interface Comment {
  id: string;
  author_name: string;
  body: string;
  created_at: string;
}

/** A thread of comments (feedback, issues) and a field to add one; `path` is the thing's API path. */
export function CommentThread({
  path,
  comments,
  onAdded,
  testId,
}: {
  path: string;
  comments: readonly Comment[] | undefined;
  onAdded: () => void;
  testId: string;
}) {
  const [comment, setComment] = useState("");
  const add = async (e: Event) => {
    e.preventDefault();
    if (!comment.trim()) return;
    await api("POST", `${path}/comments`, { body: comment });
    setComment("");
    onAdded();
  };
  return (
    <>
      <h3>Comments</h3>
      {comments?.length === 0 && <p class="muted">None</p>}
      <ul class="comments">
        {comments?.map((c) => (
          <li key={c.id}>
            <strong>{c.author_name}</strong> <span class="muted">{minute(c.created_at)}</span>
            <p>{c.body}</p>
          </li>
        ))}
      </ul>
      <form onSubmit={add} data-testid={testId}>
        <input
          aria-label="Comment"
          value={comment}
          onInput={(e) => setComment((e.target as HTMLInputElement).value)}
          placeholder="Add a comment"
        />
        <button type="submit">Comment</button>
      </form>
    </>
  );
}
