import { isUuid } from "../../lib/ids";
import type { StoredEvent } from "../pipeline/event";

/**
 * Which stored events are metric and funnel events, and the narrow row each becomes (decision 012).
 * Owlmetry's SDKs send them as ordinary events: `metric:<slug>:<phase>` with `tracking_id`,
 * `duration_ms` and `error` among the custom attributes, and `step:<name>` (`track:<name>` from
 * older SDKs). The write path and the rebuild both derive through these functions.
 */

export const METRIC_PHASES = ["start", "complete", "fail", "cancel", "record"] as const;
export type MetricPhase = (typeof METRIC_PHASES)[number];

/** Owlmetry's slugs for metrics and funnels (in their messages and their definitions). */
export const SLUG_PATTERN = "^[a-z0-9-]+$";
const SLUG = new RegExp(SLUG_PATTERN);

/** `metric:photo-upload:complete` → slug and phase; null for anything else. */
function parseMetricMessage(message: string): { slug: string; phase: MetricPhase } | null {
  if (!message.startsWith("metric:")) return null;
  const rest = message.slice("metric:".length);
  const colon = rest.lastIndexOf(":");
  if (colon === -1) return null;
  const slug = rest.slice(0, colon);
  const phase = rest.slice(colon + 1) as MetricPhase;
  if (!SLUG.test(slug) || !METRIC_PHASES.includes(phase)) return null;
  return { slug, phase };
}

/** `step:onboarding-done` (or the older SDKs' `track:…`) → the step name; null for anything else. */
export function parseStepMessage(message: string): string | null {
  for (const prefix of ["step:", "track:"]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length) || null;
  }
  return null;
}

/** The fields of an event a derived row reads. */
export type SourceEvent = Pick<
  StoredEvent,
  | "id"
  | "appId"
  | "projectId"
  | "clientEventId"
  | "sessionId"
  | "userId"
  | "apiKeyId"
  | "message"
  | "screenName"
  | "customAttributes"
  | "experiments"
  | "environment"
  | "osVersion"
  | "appVersion"
  | "deviceModel"
  | "buildNumber"
  | "countryCode"
  | "isDev"
  | "timestamp"
  | "receivedAt"
  | "kind"
>;

export interface MetricRow {
  event: SourceEvent;
  slug: string;
  phase: MetricPhase;
  trackingId: string | null;
  durationMs: number | null;
  error: string | null;
}

export interface StepRow {
  event: SourceEvent;
  stepName: string;
}

/** The string attributes of an event (its JSON object text), or none. */
function attributesOf(event: SourceEvent): Record<string, unknown> {
  if (!event.customAttributes) return {};
  try {
    const parsed = JSON.parse(event.customAttributes) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * A duration as sent: a non-negative number of milliseconds, fractions kept (Owlmetry parses an
 * integer and reads 0 as none; here 0 is a duration).
 */
function durationOf(value: unknown): number | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  const ms = Number(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** What one stored event derives: a metric row, a step row, or nothing (Sentry items derive none). */
export function deriveOne(event: SourceEvent): { metric: MetricRow } | { step: StepRow } | null {
  if (event.kind) return null;
  const first = event.message.charCodeAt(0);
  // m(etric:), s(tep:), t(rack:): most events are none of these and cost one comparison.
  if (first !== 109 && first !== 115 && first !== 116) return null;
  const metric = parseMetricMessage(event.message);
  if (metric) {
    const attrs = attributesOf(event);
    const tracking = attrs.tracking_id;
    return {
      metric: {
        event,
        ...metric,
        trackingId: typeof tracking === "string" && isUuid(tracking) ? tracking.toLowerCase() : null,
        durationMs: durationOf(attrs.duration_ms),
        error: typeof attrs.error === "string" && attrs.error !== "" ? attrs.error : null,
      },
    };
  }
  const step = parseStepMessage(event.message);
  return step ? { step: { event, stepName: step } } : null;
}

/** The metric and step rows of a commit's events. */
export function deriveRows(events: readonly SourceEvent[]): { metrics: MetricRow[]; steps: StepRow[] } {
  const metrics: MetricRow[] = [];
  const steps: StepRow[] = [];
  for (const event of events) {
    const derived = deriveOne(event);
    if (!derived) continue;
    if ("metric" in derived) metrics.push(derived.metric);
    else steps.push(derived.step);
  }
  return { metrics, steps };
}
