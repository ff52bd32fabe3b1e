import { CATEGORIES, CLIENT_DISCARD_REASONS } from "../../lib/vocab";
import { OutcomeTally } from "../pipeline/tally";

const FUTURE_MS = 5 * 60_000;
const PAST_MS = 30 * 86_400_000;

/**
 * An SDK's report of what it dropped before sending (`{timestamp, discarded_events: [{reason,
 * category, quantity}]}`, Sentry's client report): each entry a `client_discard` outcome at the
 * report's time. The same shape arrives at `/v1/client-reports` and as an envelope's
 * `client_report` item. `error` says what is wrong with a report that cannot be recorded.
 */
export function tallyClientReport(
  body: unknown,
  source: { projectId: string; keyId: string; receivedAt: number },
  maxEntries: number,
): { outcomes: OutcomeTally; recorded: number } | { error: string } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { error: "The client report must be a JSON object with a discarded_events array" };
  }
  const { discarded_events: entries, timestamp } = body as {
    discarded_events?: unknown;
    timestamp?: unknown;
  };
  if (!Array.isArray(entries))
    return { error: "discarded_events is required: an array of {reason, category, quantity}" };
  if (entries.length > maxEntries)
    return { error: `discarded_events may hold at most ${maxEntries} entries` };
  let at = source.receivedAt;
  if (timestamp !== undefined && timestamp !== null) {
    // ISO-8601, or seconds since the epoch (what Sentry's JavaScript SDKs send).
    at =
      typeof timestamp === "string"
        ? Date.parse(timestamp)
        : typeof timestamp === "number"
          ? timestamp * 1000
          : Number.NaN;
    if (Number.isNaN(at) || at > source.receivedAt + FUTURE_MS || at < source.receivedAt - PAST_MS) {
      return { error: "timestamp must be an ISO-8601 date within the last 30 days" };
    }
  }
  const outcomes = new OutcomeTally();
  for (const [index, entry] of entries.entries()) {
    const e = (entry ?? {}) as { reason?: unknown; category?: unknown; quantity?: unknown };
    if (typeof e.category !== "string" || !(CATEGORIES as readonly string[]).includes(e.category)) {
      return {
        error: `discarded_events[${index}].category must be one of Sentry's data categories (error, default, session, …)`,
      };
    }
    if (typeof e.quantity !== "number" || !Number.isInteger(e.quantity) || e.quantity < 0) {
      return { error: `discarded_events[${index}].quantity must be a whole number, 0 or more` };
    }
    if (e.reason !== undefined && e.reason !== null && typeof e.reason !== "string") {
      return { error: `discarded_events[${index}].reason must be a string` };
    }
    const known = (CLIENT_DISCARD_REASONS as readonly unknown[]).includes(e.reason);
    outcomes.count(
      { ...source, receivedAt: Math.round(at) },
      "client_discard",
      known ? (e.reason as string) : null,
      e.category,
      e.quantity,
    );
  }
  return { outcomes, recorded: entries.length };
}
