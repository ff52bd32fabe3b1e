import { badRequest } from "./errors";
import { isUuid } from "./ids";

/**
 * A page's opaque cursor: the last row's sort key as a list of strings, base64url of its JSON.
 * Every list of the API writes its cursor so; a cursor that is not one of its own is a 400.
 */
export const encodeCursorParts = (parts: readonly string[]): string =>
  Buffer.from(JSON.stringify(parts)).toString("base64url");

/** The parts of a cursor when there are `check.length` of them and each passes its check. */
export function decodeCursorParts(raw: string, check: ReadonlyArray<(part: string) => boolean>): string[] {
  try {
    const parts = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parts) &&
      parts.length === check.length &&
      parts.every((p, i) => typeof p === "string" && (check[i] as (part: string) => boolean)(p))
    ) {
      return parts as string[];
    }
  } catch {}
  throw badRequest("Invalid cursor");
}

/** Epoch microseconds as text (exact beyond 2^53). */
export const isMicros = (s: string): boolean => /^-?\d{1,20}$/.test(s);

/** The cursor of a list ordered by (time, id) descending: `[micros, uuid]`. */
export const encodeTimeCursor = (us: string, id: string): string => encodeCursorParts([us, id]);
export function decodeTimeCursor(raw: string): { us: string; id: string } {
  const [us, id] = decodeCursorParts(raw, [isMicros, isUuid]) as [string, string];
  return { us, id };
}
