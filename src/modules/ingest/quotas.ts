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

/**
 * The event limits every ingest path shares (Owlmetry's protocol and Sentry's envelopes count
 * against the same quotas): a project's abuse limit per hour, its quota per minute, and a key's
 * quota per minute. Imports skip the per-minute quotas. In memory: a restart starts each window
 * afresh, which errs on the side of accepting.
 */
export class Quotas {
  private readonly projectMinute = new WindowCounters(60_000);
  private readonly keyMinute = new WindowCounters(60_000);
  private readonly projectHour = new WindowCounters(3_600_000);

  /** The first limit `n` more events would pass, or null; nothing is counted. */
  check(
    caller: KeyCaller,
    project: ProjectView,
    n: number,
    mode: "ingest" | "import",
    now: number,
  ): QuotaRefusal | null {
    for (const limit of this.limitsFor(caller, project, mode)) {
      if (limit.counters.wouldExceed(limit.key, n, limit.max, now)) {
        const { counters: _, key: __, max: ___, ...refusal } = limit;
        return { ...refusal, retryAfter: limit.counters.retryAfter(now) };
      }
    }
    return null;
  }

  /** Counts `n` events against every limit of the caller. */
  take(caller: KeyCaller, project: ProjectView, n: number, mode: "ingest" | "import", now: number): void {
    for (const limit of this.limitsFor(caller, project, mode)) limit.counters.add(limit.key, n, now);
  }

  /** The limits a batch must fit, in the order they are checked; a null max is no limit. */
  private limitsFor(caller: KeyCaller, project: ProjectView, mode: "ingest" | "import") {
    const limits: Array<{
      counters: WindowCounters;
      key: string;
      max: number | null;
      outcome: Outcome;
      reason: QuotaRefusal["reason"];
      scope: QuotaRefusal["scope"];
      message: string;
    }> = [
      {
        counters: this.projectHour,
        key: project.id,
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
        counters: this.projectMinute,
        key: project.id,
        max: project.quota.events_per_minute,
        outcome: "rate_limited",
        reason: "project_quota",
        scope: "project",
        message: "This project's events-per-minute quota is used up",
      },
      {
        counters: this.keyMinute,
        key: caller.keyId,
        max: caller.eventsPerMinute,
        outcome: "rate_limited",
        reason: "key_quota",
        scope: "key",
        message: "This key's events-per-minute quota is used up",
      },
    );
    return limits;
  }
}
