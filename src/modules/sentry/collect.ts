import type { AppContext } from "../apps/context";
import { tallyClientReport } from "../ingest/client-report";
import { DEFAULT_INGEST_LIMITS } from "../ingest/service";
import type { ReleaseSessions } from "../pipeline/repository";
import { OutcomeTally } from "../pipeline/tally";
import { fromCheckIn, fromEvent, fromLog, fromSpans, fromTransaction } from "./convert";
import type { Envelope, EnvelopeItem } from "./envelope";
import type { Arrival, SentryEvent } from "./fields";
import { sessionCounts } from "./sessions";

/**
 * An envelope's items sorted into what they become: events (convert.ts), release-health counts
 * (sessions.ts) and outcomes, each in Sentry's category. The service then filters, applies the
 * quotas and commits them together.
 */

/** Whose outcomes: the key's project and the key, at the request's arrival. */
export interface Source {
  projectId: string;
  keyId: string;
  receivedAt: number;
}

/** Where an item's data goes once read: events, session counts, outcomes. */
export interface Collected {
  events: SentryEvent[];
  sessions: ReleaseSessions[];
  outcomes: OutcomeTally;
  /**
   * Outcomes that go with the events beyond the writer's one per event (a transaction's spans, a
   * log item's bytes): accepted or refused with them.
   */
  extra: Array<{ category: string; quantity: number }>;
}

/** Each item read into events, session counts and outcomes; unknown types are skipped. */
export function collect(envelope: Envelope, arrival: Arrival, at: Source, app: AppContext): Collected {
  const out: Collected = { events: [], sessions: [], outcomes: new OutcomeTally(), extra: [] };
  for (const item of envelope.items) {
    const payload = itemJson(item);
    if (payload === undefined) {
      if (item.type in CATEGORY_OF_ITEM) out.outcomes.count(at, "invalid", "payload", categoryOfItem(item));
      continue;
    }
    const record = payload as Record<string, unknown>;
    switch (item.type) {
      case "event":
        out.events.push(fromEvent(record, arrival));
        break;
      case "feedback":
        out.events.push(fromEvent(record, arrival, "feedback"));
        break;
      case "transaction": {
        out.events.push(fromTransaction(record, arrival));
        const spans = Array.isArray(record.spans) ? record.spans.length : 0;
        out.extra.push({ category: "span", quantity: spans + 1 });
        break;
      }
      case "span": {
        const spans = (Array.isArray(record.items) ? record.items : [record]).filter(isRecord);
        out.events.push(...fromSpans(spans, arrival, envelope.header));
        out.extra.push({ category: "span", quantity: spans.length });
        break;
      }
      case "log": {
        const logs = (Array.isArray(record.items) ? record.items : [record]).filter(isRecord);
        for (const log of logs) out.events.push(fromLog(log, arrival, envelope.header));
        out.extra.push({ category: "log_byte", quantity: item.payload.byteLength });
        break;
      }
      case "check_in":
        out.events.push(fromCheckIn(record, arrival));
        break;
      case "session":
      case "sessions": {
        const counts = sessionCounts(item.type, record, app, arrival.receivedAt);
        out.sessions.push(...counts.rows);
        if (counts.sessions > 0) out.outcomes.count(at, "accepted", null, "session", counts.sessions);
        else out.outcomes.count(at, "invalid", "payload", "session");
        break;
      }
      case "client_report": {
        const report = tallyClientReport(record, at, DEFAULT_INGEST_LIMITS.maxEvents);
        if ("outcomes" in report) out.outcomes.merge(report.outcomes);
        break;
      }
    }
  }
  return out;
}

/** Every item type Roost reads, and its outcome category (Sentry's names). */
const CATEGORY_OF_ITEM: Record<string, string> = {
  event: "error",
  transaction: "transaction",
  span: "span",
  log: "log_item",
  check_in: "monitor",
  feedback: "feedback",
  attachment: "attachment",
  session: "session",
  sessions: "session",
  client_report: "default",
};

export const categoryOfItem = (item: EnvelopeItem): string => CATEGORY_OF_ITEM[item.type] ?? "default";

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** An item's payload as a JSON object; undefined when it is not one. */
export function itemJson(item: EnvelopeItem): Record<string, unknown> | undefined {
  if (item.type === "attachment") return {};
  try {
    const value = JSON.parse(new TextDecoder().decode(item.payload));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** How many session counts a `sessions` item holds (one per aggregate). */
export function aggregatesIn(item: EnvelopeItem): number {
  const aggregates = itemJson(item)?.aggregates;
  return Array.isArray(aggregates) ? aggregates.length : 0;
}
