import type { Logger } from "../../lib/log";
import type { ClickHouse } from "../../store/clickhouse/client";
import type { Tx } from "../../store/db";
import type { PgStore } from "../../store/postgres/db";
import type { IdentityClaims } from "../identity/claims";
import { categoryOfEvent, type StoredEvent } from "./event";
import {
  claimEvents,
  claimSessions,
  deleteOlderCopies,
  insertEvents,
  insertOutcomes,
  insertSessions,
  markStored,
  releaseEvents,
  repointClaims,
  storedAlready,
  storedCopies,
} from "./repository.cluster";
import { type OutcomeRow, OutcomeTally } from "./tally";
import { JobCounts, takeBatch, type WriteJob, type WriteResult, type Writer } from "./write-queue";

/** What else a round stores of the events it stored, given by the app (modules it cannot import). */
export interface ClusterWriterHooks {
  /**
   * Records in the transaction that marks the events stored (Sentry's user feedback filed as
   * feedback).
   */
  filed?: (tx: Tx, events: readonly StoredEvent[]) => Promise<void>;
  /** Columns an event's row carries beyond the event's own (its metric or step fields). */
  columns?: (event: StoredEvent) => Record<string, unknown>;
  /**
   * Counts the users of the events a round stored, as stored (users resolved), in the transaction
   * that marks them stored: each is counted once.
   */
  counted?: (tx: Tx, events: readonly StoredEvent[]) => Promise<void>;
}

interface Pending {
  job: WriteJob;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/**
 * The write path on a cluster (decision 017): what is waiting goes in one round, as the embedded
 * group commit does, but to shared places. Each new (app, client_event_id) is claimed in
 * PostgreSQL (one statement: whatever another node or an earlier round claimed is a duplicate);
 * the claimed events go into ClickHouse synchronously across shards; the round's release-health
 * sessions and outcomes follow;
 * only then are the requests answered. If the events' insert fails, their claims are given back
 * and every request of the round is refused (503): nothing unacknowledged stays claimed.
 *
 * An import is stored as ingest is: an id stored before counts as a duplicate (replacing rows in
 * place is not built on ClickHouse yet; decision 017).
 */
export class ClusterWriter implements Writer {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly watchers: Array<(outcomes: readonly OutcomeRow[], ms: number) => void> = [];

  constructor(
    private readonly control: PgStore,
    private readonly ch: ClickHouse,
    private readonly log: Logger,
    /** A claimed anonymous id's events are stored under the claiming user. */
    private readonly claims: IdentityClaims | null = null,
    private readonly hooks: ClusterWriterHooks = {},
    private readonly maxRows = 10_000,
  ) {}

  submit(job: WriteJob): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  watch(listener: (outcomes: readonly OutcomeRow[], ms: number) => void): void {
    this.watchers.push(listener);
  }

  get depth(): number {
    return this.queue.reduce((n, p) => n + p.job.events.length, 0);
  }

  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const { batch } = takeBatch(this.queue, this.maxRows);
        await (batch[0]?.job.mode === "import" ? this.importRound(batch[0]) : this.round(batch));
      }
    } finally {
      this.flushing = null;
    }
  }

  private async round(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const all = batch.flatMap((p) => p.job.events.map((e) => e.event));
    // The first copy of an id within the round is the one claimed; later ones are duplicates.
    const firsts = new Map<string, StoredEvent>();
    for (const e of all) if (!e.unkeyed && !firsts.has(keyOf(e))) firsts.set(keyOf(e), e);
    let stored: StoredEvent[] = [];
    let newSessions = new Set<string>();
    try {
      const { claimed, takenOver } = await this.control.atomic((tx) => claimEvents(tx, [...firsts.values()]));
      // A claim taken over from a node that died: stored already if that node's insert landed.
      const landed = await storedAlready(
        this.ch,
        [...takenOver].map((k) => firsts.get(k) as StoredEvent),
      );
      stored = all.filter(
        (e) => e.unkeyed || (claimed.has(keyOf(e)) && !landed.has(keyOf(e)) && firsts.get(keyOf(e)) === e),
      );
      const rows = stored.map(this.resolved);
      try {
        await insertEvents(this.ch, rows, this.hooks.columns);
      } catch (error) {
        await this.control
          .atomic((tx) =>
            releaseEvents(
              tx,
              stored.filter((e) => !e.unkeyed),
            ),
          )
          .catch((e) => this.log.error("releasing claims failed", { error: String(e) }));
        throw error;
      }
      const keyed = stored.filter((e) => !e.unkeyed);
      newSessions = await this.control.atomic(async (tx) => {
        const landedCopies = [...landed].map((k) => firsts.get(k) as StoredEvent);
        await markStored(tx, [...keyed, ...landedCopies]);
        // Marked stored here and counted here: a copy another node inserted and never marked too.
        await this.hooks.counted?.(tx, [...rows, ...landedCopies.map(this.resolved)]);
        await this.hooks.filed?.(tx, stored);
        return claimSessions(tx, uniqueSessions(keyed));
      });
    } catch (error) {
      this.log.error("cluster write failed", {
        requests: batch.length,
        events: all.length,
        error: String(error),
      });
      for (const p of batch) p.reject(error);
      return;
    }
    const storedSet = new Set(stored);
    await this.answer(batch, newSessions, started, (event) =>
      storedSet.has(event) ? "accepted" : "duplicate",
    );
  }

  /**
   * An import (decision 017): the last copy of each id wins; an id stored before is replaced in
   * place: the new copies are inserted (keeping the old id when the time is unchanged), then the
   * older copies are deleted by a mutation on every shard, waited for, so a reader may see both
   * copies for that moment but never none. A failure before the delete leaves both; the retry's
   * delete removes every copy older than it. Updates add no outcome, as in the embedded store.
   */
  private async importRound(pending: Pending): Promise<void> {
    const started = performance.now();
    const { job } = pending;
    const last = new Map<string, StoredEvent>();
    for (const { event } of job.events) {
      last.delete(event.clientEventId);
      last.set(event.clientEventId, event);
    }
    const chosen = [...last.values()];
    let fresh: StoredEvent[] = [];
    let replaced: StoredEvent[] = [];
    let newSessions = new Set<string>();
    try {
      const { claimed } = await this.control.atomic((tx) => claimEvents(tx, chosen));
      fresh = chosen.filter((e) => claimed.has(keyOf(e)));
      const known = chosen.filter((e) => !claimed.has(keyOf(e)));
      const old = await storedCopies(
        this.ch,
        job.appId,
        known.map((e) => e.clientEventId),
      );
      // A known id with no stored copy (its node died before the insert) is stored as new.
      fresh.push(...known.filter((e) => !old.has(e.clientEventId)));
      replaced = known.flatMap((e) => {
        const copy = old.get(e.clientEventId);
        if (!copy) return [];
        // An id names its event's time: it stays when the time does.
        return [copy.ts === e.timestamp ? { ...e, id: copy.id } : e];
      });
      try {
        await insertEvents(this.ch, [...fresh, ...replaced].map(this.resolved), this.hooks.columns);
      } catch (error) {
        await this.control
          .atomic((tx) =>
            releaseEvents(
              tx,
              fresh.filter((e) => claimed.has(keyOf(e))),
            ),
          )
          .catch((e) => this.log.error("releasing claims failed", { error: String(e) }));
        throw error;
      }
      await deleteOlderCopies(
        this.ch,
        job.appId,
        replaced.map((e) => e.clientEventId),
        job.receivedAt,
      );
      newSessions = await this.control.atomic(async (tx) => {
        await markStored(tx, fresh);
        // A replacement was counted as its first copy; a new id is counted now.
        await this.hooks.counted?.(tx, fresh.map(this.resolved));
        await this.hooks.filed?.(tx, fresh);
        await repointClaims(tx, [...replaced, ...fresh.filter((e) => !claimed.has(keyOf(e)))]);
        return claimSessions(tx, uniqueSessions(fresh));
      });
    } catch (error) {
      this.log.error("cluster import failed", { events: job.events.length, error: String(error) });
      pending.reject(error);
      return;
    }
    const updates = new Set(replaced.map((e) => e.clientEventId));
    // Earlier copies of an id in the batch, and replacements, are updates; the rest is new.
    await this.answer([pending], newSessions, started, (event) =>
      last.get(event.clientEventId) === event && !updates.has(event.clientEventId) ? "accepted" : "updated",
    );
  }

  /**
   * The event as stored: under the claiming user when its anonymous id is claimed (as this node
   * knows the claims: a claim made through another node moments ago is resolved when read).
   */
  private readonly resolved = (event: StoredEvent): StoredEvent => {
    const user = event.userId && this.claims ? this.claims.resolve(event.projectId, event.userId) : null;
    return user && user !== event.userId ? { ...event, userId: user } : event;
  };

  /**
   * Counts each job's outcomes by each event's role (accepted, duplicate, or an import's update,
   * which adds no outcome), writes them, and answers the requests.
   */
  private async answer(
    batch: readonly Pending[],
    newSessions: Set<string>,
    started: number,
    role: (event: StoredEvent) => "accepted" | "duplicate" | "updated",
  ): Promise<void> {
    const outcomes = new OutcomeTally();
    const results = batch.map(({ job }) => {
      outcomes.merge(job.outcomes);
      const result: WriteResult = { accepted: 0, duplicates: 0, updated: 0 };
      const counts = new JobCounts();
      for (const { event } of job.events) {
        const as = role(event);
        if (as === "updated") {
          result.updated++;
        } else if (as === "accepted") {
          result.accepted++;
          // A Sentry item (it has a kind) counts in no session: release health has its SDK's own.
          const first = event.kind ? null : newSessions.delete(`${event.appId}|${event.sessionId}`);
          counts.accepted(categoryOfEvent(event), first);
        } else {
          result.duplicates++;
          counts.duplicate(categoryOfEvent(event));
        }
      }
      counts.addTo(outcomes, job);
      return result;
    });
    try {
      await insertSessions(
        this.ch,
        batch.flatMap((p) => p.job.sessions ?? []),
      );
      await insertOutcomes(this.ch, outcomes.list());
    } catch (error) {
      // The events are stored (a retry is a duplicate); their sessions or outcomes are not: say so.
      this.log.error("cluster outcomes write failed", { error: String(error) });
      for (const p of batch) p.reject(error);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i] as WriteResult);
    const ms = performance.now() - started;
    for (const watcher of this.watchers) watcher(outcomes.list(), ms);
  }
}

const keyOf = (e: StoredEvent) => `${e.appId}|${e.clientEventId}`;

/** The Owlmetry sessions of these events (a Sentry item, which has a kind, counts in none). */
function uniqueSessions(events: readonly StoredEvent[]) {
  const seen = new Map<string, { appId: string; sessionId: string }>();
  for (const e of events)
    if (!e.kind) seen.set(`${e.appId}|${e.sessionId}`, { appId: e.appId, sessionId: e.sessionId });
  return [...seen.values()];
}
