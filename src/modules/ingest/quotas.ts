import type { Outcome } from "../../lib/vocab";
import type { KeyCaller } from "../access/caller";
import type { ProjectView } from "../projects/service";
import { WindowCounters } from "./limits";

/** A limit a batch would pass: its outcome, reason and message, and when to try again. */
export interface QuotaRefusal {
  outcome: Outcome;
  reason: "abuse_limit" | "project_quota" | "key_quota";
  /** Who the limit belongs to, as Sentry's rate-limit header names it. */
  scope: "project" | "key";
  message: string;
  retryAfter: number;
}

/** Checks a batch against the limits and, when it fits, counts it, in one step. */
export interface QuotaGate {
  admit(
    caller: KeyCaller,
    project: ProjectView,
    n: number,
    mode: "ingest" | "import",
    now: number,
  ): Promise<QuotaRefusal | null>;
}

/** One limit a batch must fit: who it counts (`key`), over which window, up to `max` (null: none). */
export interface Limit {
  key: string;
  windowMs: number;
  max: number | null;
  outcome: Outcome;
  reason: QuotaRefusal["reason"];
  scope: QuotaRefusal["scope"];
  message: string;
}

/** The refusal a limit gives, with the seconds until its window ends. */
export const refusalOf = (limit: Limit, retryAfter: number): QuotaRefusal => ({
  outcome: limit.outcome,
  reason: limit.reason,
  scope: limit.scope,
  message: limit.message,
  retryAfter,
});

/** The limits a batch must fit, in the order they are checked. Imports skip the per-minute quotas. */
export function limitsFor(caller: KeyCaller, project: ProjectView, mode: "ingest" | "import"): Limit[] {
  const limits: Limit[] = [
    {
      key: project.id,
      windowMs: 3_600_000,
      max: project.quota.abuse_events_per_hour,
      outcome: "abuse",
      reason: "abuse_limit",
      scope: "project",
      message: "This project is over its hourly event limit",
    },
  ];
  if (mode === "import") return limits;
  limits.push(
    {
      key: project.id,
      windowMs: 60_000,
      max: project.quota.events_per_minute,
      outcome: "rate_limited",
      reason: "project_quota",
      scope: "project",
      message: "This project's events-per-minute quota is used up",
    },
    {
      key: caller.keyId,
      windowMs: 60_000,
      max: caller.eventsPerMinute,
      outcome: "rate_limited",
      reason: "key_quota",
      scope: "key",
      message: "This key's events-per-minute quota is used up",
    },
  );
  return limits;
}

/**
 * The event limits every ingest path shares (Owlmetry's protocol and Sentry's envelopes count
 * against the same quotas): a project's abuse limit per hour, its quota per minute, and a key's
 * quota per minute. Imports skip the per-minute quotas. In memory: a restart starts each window
 * afresh, which errs on the side of accepting.
 */
export class Quotas implements QuotaGate {
  private readonly counters = new Map<string, WindowCounters>();

  async admit(
    caller: KeyCaller,
    project: ProjectView,
    n: number,
    mode: "ingest" | "import",
    now: number,
  ): Promise<QuotaRefusal | null> {
    const limits = limitsFor(caller, project, mode);
    const refusal = this.firstPassed(limits, n, now);
    if (!refusal) this.count(limits, n, now);
    return refusal;
  }

  private firstPassed(limits: readonly Limit[], n: number, now: number): QuotaRefusal | null {
    for (const limit of limits) {
      const counters = this.countersOf(limit);
      if (counters.wouldExceed(limit.key, n, limit.max, now))
        return refusalOf(limit, counters.retryAfter(now));
    }
    return null;
  }

  private count(limits: readonly Limit[], n: number, now: number): void {
    for (const limit of limits) this.countersOf(limit).add(limit.key, n, now);
  }

  /** One set of counters per limit (reason): the project's minute and hour are kept apart. */
  private countersOf(limit: Limit): WindowCounters {
    let counters = this.counters.get(limit.reason);
    if (!counters) {
      counters = new WindowCounters(limit.windowMs);
      this.counters.set(limit.reason, counters);
    }
    return counters;
  }
}
