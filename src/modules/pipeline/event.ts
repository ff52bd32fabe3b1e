import { categoryOfLevel, type Level } from "../../lib/vocab";

/** An event that passed validation: what every ingest path hands the write queue, with the fields below. */
export interface ValidEvent {
  clientEventId: string;
  sessionId: string;
  userId: string | null;
  level: Level;
  sourceModule: string | null;
  message: string;
  screenName: string | null;
  /** JSON object text, or null when none were sent. */
  customAttributes: string | null;
  experiments: string | null;
  environment: string;
  osVersion: string | null;
  appVersion: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  buildNumber: string | null;
  deviceModel: string | null;
  locale: string | null;
  isDev: boolean;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** An event as stored: its validated fields plus what the server adds. */
export interface StoredEvent extends ValidEvent {
  id: string;
  appId: string;
  projectId: string;
  apiKeyId: string;
  countryCode: string | null;
  receivedAt: number;
  /** The Sentry item type it came as (event, transaction, log, …); absent for Owlmetry events. */
  kind?: SentryKind;
  /** The item's whole JSON text, for Sentry items. */
  payload?: string;
  /**
   * Its id was made here (a Sentry log carries none), so no copy of it can arrive again: nothing
   * to deduplicate, and no key to remember for a week (logs come by the hundred).
   */
  unkeyed?: true;
}

/** The Sentry item types stored as events, and each one's outcome category (Sentry's names). */
export const SENTRY_KIND_CATEGORIES = {
  event: "error",
  transaction: "transaction",
  log: "log_item",
  check_in: "monitor",
  feedback: "feedback",
} as const;
export type SentryKind = keyof typeof SENTRY_KIND_CATEGORIES;

/** An event's outcome category: a Sentry item's own, else by level (errors `error`, others `default`). */
export const categoryOfEvent = (event: Pick<StoredEvent, "kind" | "level">): string =>
  event.kind ? SENTRY_KIND_CATEGORIES[event.kind] : categoryOfLevel(event.level);
