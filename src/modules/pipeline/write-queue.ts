import type { Logger } from "../../lib/log";
import type { Outcome } from "../../lib/vocab";
import type { SharedWrite, SharedWriter, Store, WriteTx } from "../../store/db";
import type { IdentityClaims } from "../identity/claims";
import { categoryOfEvent, type StoredEvent } from "./event";
import type { RecentKeys } from "./recent-keys";
import { scopedKey } from "./recent-keys";
import type { RecentTimes } from "./recent-times";
import {
  appendEvents,
  appendKeys,
  appendOutcomes,
  appendSessions,
  deleteStoredCopies,
  type ReleaseSessions,
} from "./repository";
import { type OutcomeRow, OutcomeTally } from "./tally";

/** One request's worth of work for the writer. */
export interface WriteJob {
  mode: "ingest" | "import";
  appId: string;
  projectId: string;
  keyId: string;
  receivedAt: number;
  /** Validated, unfiltered events, with their index in the request. */
  events: Array<{ index: number; event: StoredEvent }>;
  /** Outcomes decided before the writer (invalid, filtered, rate limited, …). */
  outcomes: OutcomeTally;
  /** Release-health session counts (Sentry's session items), stored in the same commit. */
  sessions?: readonly ReleaseSessions[];
}

/**
 * The next commit's jobs, taken off the front of `queue`: whatever waits, up to `maxRows` events;
 * an import replaces rows, so it commits alone, and ingest jobs share a commit.
 */
export function takeBatch<T extends { job: WriteJob }>(
  queue: T[],
  maxRows: number,
): { batch: T[]; rows: number } {
  const batch: T[] = [];
  let rows = 0;
  while (queue.length > 0) {
    const next = queue[0] as T;
    if (batch.length > 0 && (next.job.mode === "import" || batch[0]?.job.mode === "import")) break;
    if (batch.length > 0 && rows + next.job.events.length > maxRows) break;
    batch.push(queue.shift() as T);
    rows += next.job.events.length;
  }
  return { batch, rows };
}

/** A job that only records outcomes (refused requests, client reports, relayed outcomes). */
export function outcomesOnly(outcomes: OutcomeTally): WriteJob {
  return {
    mode: "ingest",
    appId: "",
    projectId: "",
    keyId: "",
    receivedAt: Date.now(),
    events: [],
    outcomes,
  };
}

/**
 * Records the outcome of a refused request, one item per category given, durably (the refusal is
 * answered only once its outcomes are committed), then throws `error`.
 */
export async function refuse(
  writer: Writer,
  source: { projectId: string; keyId: string | null; receivedAt: number },
  categories: readonly string[],
  outcome: Outcome,
  reason: string,
  error: Error,
): Promise<never> {
  const outcomes = new OutcomeTally();
  for (const category of categories) outcomes.count(source, outcome, reason, category);
  await writer.submit(outcomesOnly(outcomes));
  throw error;
}

export interface WriteResult {
  accepted: number;
  duplicates: number;
  updated: number;
}

/** What the services need of the writer: hand over a job, learn its result after the commit. */
export interface Writer {
  submit(job: WriteJob): Promise<WriteResult>;
}

/**
 * Runs inside a commit with the events it stores, and which of them replace a stored copy (an
 * import's update: no new event); what it returns runs once the commit is durable.
 */
export type CommitHook = (
  tx: WriteTx,
  events: readonly StoredEvent[],
  updates: ReadonlySet<StoredEvent>,
) => Promise<(() => void) | undefined>;

interface Pending {
  job: WriteJob;
  /** Set for a shared write (its job carries no events). */
  shared?: SharedWrite<unknown>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * The group commit: requests hand their events here and wait; whenever the writer is free it
 * takes everything waiting (up to `maxRows` events) and commits it in one DuckDB transaction
 * (events, dedup and session keys, outcomes), then answers each request. Nothing is acknowledged
 * before its commit, and many requests share one commit's cost.
 */
export class WriteQueue implements Writer, SharedWriter {
  private readonly queue: Pending[] = [];
  private readonly watchers: Array<(outcomes: readonly OutcomeRow[], ms: number) => void> = [];
  private flushing: Promise<void> | null = null;
  private queuedRows = 0;

  constructor(
    private readonly store: Store,
    private readonly eventKeys: RecentKeys,
    private readonly sessionKeys: RecentKeys,
    private readonly log: Logger,
    /** Runs inside each commit with the events it stores (attachments link to them there). */
    private readonly onCommit: CommitHook = async () => undefined,
    /** Learns the times of the events each commit stores (the events API's page guesses). */
    private readonly recent: RecentTimes | null = null,
    /** Claimed anonymous ids: their later events are stored under the claiming user. */
    private readonly claims: IdentityClaims | null = null,
    private readonly maxRows = 10_000,
  ) {}

  submit(job: WriteJob): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (r: unknown) => void, reject });
      this.queuedRows += job.events.length;
      this.flushing ??= this.drain();
    });
  }

  /** A write of another feature, committed with the ingest commit it joins; answered after it. */
  run<T>(shared: SharedWrite<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        job: outcomesOnly(new OutcomeTally()),
        shared: shared as SharedWrite<unknown>,
        resolve: resolve as (r: unknown) => void,
        reject,
      });
      this.flushing ??= this.drain();
    });
  }

  /** Tells `listener` of every commit once it is durable: the outcomes it stored and its time. */
  watch(listener: (outcomes: readonly OutcomeRow[], ms: number) => void): void {
    this.watchers.push(listener);
  }

  /** Events waiting for a commit: the buffer's depth. */
  get depth(): number {
    return this.queuedRows;
  }

  /** Resolves once everything submitted so far is committed (used at shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const { batch, rows } = takeBatch(this.queue, this.maxRows);
        this.queuedRows -= rows;
        await this.flush(batch, rows);
      }
    } finally {
      this.flushing = null;
    }
  }

  private async flush(batch: Pending[], rows: number): Promise<void> {
    const started = performance.now();
    const commit = new Commit(this.store.dataDir, this.eventKeys, this.sessionKeys, this.claims);
    // Per request: its result, or the error that refused it alone (a shared write's check).
    let results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    let afterCommit: (() => void) | undefined;
    try {
      results = await this.store.write(async (tx) => {
        const out: typeof results = [];
        for (const [i, { job, shared }] of batch.entries()) {
          if (shared) continue;
          commit.outcomes.merge(job.outcomes);
          commit.sessions.push(...(job.sessions ?? []));
          const value = job.mode === "import" ? await commit.addImport(tx, job) : commit.addIngest(job);
          out[i] = { ok: true, value };
        }
        await commit.write(tx);
        afterCommit = await this.onCommit(tx, commit.events, commit.updates);
        for (const [i, { shared }] of batch.entries()) {
          if (!shared) continue;
          const write = await shared(tx).catch((error: unknown) => ({ refused: error }));
          out[i] =
            typeof write === "function"
              ? { ok: true, value: await write(tx) }
              : { ok: false, error: write.refused };
        }
        return out;
      });
    } catch (error) {
      this.log.error("ingest commit failed", { requests: batch.length, events: rows, error: String(error) });
      for (const pending of batch) pending.reject(error);
      return;
    }
    commit.remember();
    afterCommit?.();
    for (const event of commit.events) this.recent?.add(event.appId, event.isDev, event.timestamp);
    for (const [i, pending] of batch.entries()) {
      const result = results[i] as (typeof results)[number];
      if (result.ok) pending.resolve(result.value);
      else pending.reject(result.error);
    }
    if (this.watchers.length > 0) {
      const outcomes = commit.outcomes.list();
      const ms = performance.now() - started;
      for (const watcher of this.watchers) watcher(outcomes, ms);
    }
    this.log.debug("ingest commit", {
      requests: batch.length,
      events: commit.events.length,
      outcome_rows: commit.outcomes.size,
      ms: Math.round((performance.now() - started) * 10) / 10,
      queued: this.queuedRows,
    });
  }
}

/** What one transaction writes, and the keys memory learns once it commits. */
class Commit {
  readonly events: StoredEvent[] = [];
  /** Events of this commit that replace a stored copy (an import's update). */
  readonly updates = new Set<StoredEvent>();
  readonly sessions: ReleaseSessions[] = [];
  readonly outcomes = new OutcomeTally();
  private readonly newEventKeys = new Map<number, number>();
  private readonly newSessionKeys = new Map<number, number>();

  constructor(
    private readonly dataDir: string,
    private readonly eventKeys: RecentKeys,
    private readonly sessionKeys: RecentKeys,
    private readonly claims: IdentityClaims | null,
  ) {}

  /**
   * The event as stored: a claimed anonymous id's event goes under the claiming user. Resolved
   * inside the transaction, so a claim committed before it is always seen.
   */
  private push(event: StoredEvent): StoredEvent {
    const user = event.userId && this.claims ? this.claims.resolve(event.projectId, event.userId) : null;
    const stored = user && user !== event.userId ? { ...event, userId: user } : event;
    this.events.push(stored);
    return stored;
  }

  /** Ingest: an id seen within the window (or earlier in this commit) is a duplicate. */
  addIngest(job: WriteJob): WriteResult {
    const result: WriteResult = { accepted: 0, duplicates: 0, updated: 0 };
    const counts = new JobCounts();
    for (const { event } of job.events) {
      if (event.unkeyed) {
        this.accept(job, event, counts);
        result.accepted++;
        continue;
      }
      const key = scopedKey(event.appId, event.clientEventId);
      if (this.eventKeys.has(key, job.receivedAt) || this.newEventKeys.has(key)) {
        result.duplicates++;
        counts.duplicate(categoryOfEvent(event));
        continue;
      }
      this.newEventKeys.set(key, job.receivedAt);
      this.accept(job, event, counts);
      result.accepted++;
    }
    counts.addTo(this.outcomes, job);
    return result;
  }

  /** Import: the last copy of each id wins, and replaces a stored copy in place. */
  async addImport(tx: WriteTx, job: WriteJob): Promise<WriteResult> {
    const chosen = lastCopies(job.events);
    const keys = chosen.map(({ event }) => scopedKey(event.appId, event.clientEventId));
    // Only ids seen before can have a stored copy: every stored event's key is in memory from its
    // commit on (a backfill of new events deletes nothing and reads no hot row or file).
    const seen = chosen.filter(
      (_, i) =>
        this.eventKeys.has(keys[i] as number, job.receivedAt) || this.newEventKeys.has(keys[i] as number),
    );
    const replaced = new Map(
      (
        await deleteStoredCopies(
          tx,
          this.dataDir,
          job.projectId,
          job.appId,
          seen.map((c) => c.event),
        )
      ).map((r) => [r.client_event_id, r]),
    );
    const result: WriteResult = { accepted: 0, duplicates: 0, updated: job.events.length - chosen.length };
    const counts = new JobCounts();
    for (const [i, { event }] of chosen.entries()) {
      const key = keys[i] as number;
      if (!this.eventKeys.has(key, job.receivedAt)) this.newEventKeys.set(key, job.receivedAt);
      const old = replaced.get(event.clientEventId);
      if (old) {
        // Counted as accepted when it first arrived: an update adds no outcome. The id stays
        // when the time does, since an id names its event's time.
        this.updates.add(
          this.push(old.timestamp.getTime() === event.timestamp ? { ...event, id: old.id } : event),
        );
        result.updated++;
      } else {
        this.accept(job, event, counts);
        result.accepted++;
      }
    }
    counts.addTo(this.outcomes, job);
    return result;
  }

  async write(tx: WriteTx): Promise<void> {
    await appendEvents(tx, this.events);
    await appendKeys(tx, "event_keys", [...this.newEventKeys.keys()], [...this.newEventKeys.values()]);
    await appendKeys(tx, "session_keys", [...this.newSessionKeys.keys()], [...this.newSessionKeys.values()]);
    await appendOutcomes(tx, this.outcomes.list());
    await appendSessions(tx, this.sessions);
  }

  /** After the commit: memory learns the keys the database now holds. */
  remember(): void {
    for (const [key, at] of this.newEventKeys) this.eventKeys.add(key, at);
    for (const [key, at] of this.newSessionKeys) this.sessionKeys.add(key, at);
  }

  /**
   * A stored event: accepted in its category; an Owlmetry event also in `session` (times_seen once
   * per session). A Sentry item's sessions are release health's, reported by its SDK.
   */
  private accept(job: WriteJob, event: StoredEvent, counts: JobCounts): void {
    this.push(event);
    if (event.kind) {
      counts.accepted(categoryOfEvent(event), null);
      return;
    }
    const session = scopedKey(event.appId, event.sessionId);
    const first = !this.sessionKeys.has(session, job.receivedAt) && !this.newSessionKeys.has(session);
    if (first) this.newSessionKeys.set(session, job.receivedAt);
    counts.accepted(categoryOfEvent(event), first);
  }
}

/** One job's accepted and duplicate counts, summed before they reach the tally. */
export class JobCounts {
  private readonly acceptedBy = new Map<string, number>();
  private readonly duplicateBy = new Map<string, number>();
  private sessionEvents = 0;
  private newSessions = 0;

  /** `firstOfSession` null: the event counts in no session. */
  accepted(category: string, firstOfSession: boolean | null): void {
    this.acceptedBy.set(category, (this.acceptedBy.get(category) ?? 0) + 1);
    if (firstOfSession === null) return;
    this.sessionEvents++;
    if (firstOfSession) this.newSessions++;
  }

  duplicate(category: string): void {
    this.duplicateBy.set(category, (this.duplicateBy.get(category) ?? 0) + 1);
  }

  addTo(tally: OutcomeTally, job: WriteJob): void {
    for (const [category, n] of this.acceptedBy) tally.count(job, "accepted", null, category, n);
    for (const [category, n] of this.duplicateBy) tally.count(job, "invalid", "duplicate", category, n);
    tally.add({
      projectId: job.projectId,
      keyId: job.keyId,
      at: job.receivedAt,
      outcome: "accepted",
      reason: null,
      category: "session",
      quantity: this.sessionEvents,
      timesSeen: this.newSessions,
    });
  }
}

function lastCopies<T extends { event: { clientEventId: string } }>(items: readonly T[]): T[] {
  const last = new Map<string, T>();
  for (const item of items) {
    last.delete(item.event.clientEventId);
    last.set(item.event.clientEventId, item);
  }
  return [...last.values()];
}
