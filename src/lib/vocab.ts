import { badRequest } from "./errors";

/** The fixed word lists of Owlmetry's protocol, shared by validation, filters and queries. */
export const LEVELS = ["info", "debug", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export const PLATFORMS = ["apple", "android", "web", "backend"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const PLATFORM_ENVIRONMENTS: Record<Platform, readonly string[]> = {
  apple: ["ios", "ipados", "macos", "watchos", "tvos", "visionos"],
  android: ["android"],
  web: ["web"],
  backend: ["backend"],
};

export const ENVIRONMENTS: readonly string[] = Object.values(PLATFORM_ENVIRONMENTS).flat();

export const OUTCOMES = [
  "accepted",
  "filtered",
  "rate_limited",
  "invalid",
  "abuse",
  "client_discard",
  "cardinality_limited",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Sentry's data categories: every one is valid in an outcome, so relayed outcomes keep theirs. */
export const CATEGORIES = [
  "default",
  "error",
  "transaction",
  "security",
  "attachment",
  "session",
  "profile",
  "replay",
  "monitor",
  "span",
  "profile_duration",
  "profile_duration_ui",
  "profile_chunk",
  "profile_chunk_ui",
  "feedback",
  "log_item",
  "log_byte",
  "transaction_indexed",
  "span_indexed",
  "user_report_v2",
  "metric_bucket",
  "uptime",
  "attachment_item",
  "trace_metric",
  "seer_autofix",
  "seer_scanner",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The discard reasons Sentry's SDKs report; others are recorded with reason null. */
export const CLIENT_DISCARD_REASONS = [
  "backpressure",
  "before_send",
  "buffer_overflow",
  "cache_overflow",
  "event_processor",
  "ignored",
  "insufficient_data",
  "internal_sdk_error",
  "invalid",
  "network_error",
  "no_parent_span",
  "queue_overflow",
  "ratelimit_backoff",
  "sample_rate",
  "send_error",
] as const;

/** An event's outcome category: errors are `error`, every other level `default`. */
export const categoryOfLevel = (level: string): Category => (level === "error" ? "error" : "default");

/** The statuses the team sets on feedback and on questionnaire responses (Owlmetry's). */
export const TRIAGE_STATUSES = ["new", "in_review", "addressed", "dismissed"] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

/** A `{status}` body's status, in Owlmetry's words when missing or unknown. */
export function triageStatus(value: unknown): TriageStatus {
  if (!value) throw badRequest("status is required");
  if (!(TRIAGE_STATUSES as readonly unknown[]).includes(value)) {
    throw badRequest(`Invalid status. Must be one of: ${TRIAGE_STATUSES.join(", ")}`);
  }
  return value as TriageStatus;
}
