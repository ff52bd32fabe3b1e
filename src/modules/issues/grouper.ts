import type { Logger } from "../../lib/log";
import type { Database, SharedWriter, Tx, WriteTx } from "../../store/db";
import { categoryOfEvent, type StoredEvent } from "../pipeline/event";
import { discriminatorOf, type ErrorFields, type Grouping, groupingOf } from "./fingerprint";
import { BURST_MEMORY_MS, type ErrorOccurrence, IssueMemory } from "./grouping";
import { loadGroupingState, type StoredError, ungroupedErrors, wakeSnoozed } from "./repository";
import { KnownPairs, type RoundResult, writeRound } from "./round";

/** Errors one round takes: bounded, so one round never holds the writer for long. */
const ROUND_SIZE = 5_000;
/** How long after a commit its errors wait for a round, to share it with the next commits' errors. */
const ROUND_DELAY_MS = 2_000;
const WAKE_EVERY_MS = 60_000;

/**
 * The groupings of recent Owlmetry errors by their words: the same error message from the same
 * module comes again and again, and the write path then skips the hashing. Bounded.
 */
class GroupingMemo {
  private readonly memo = new Map<string, Grouping>();

  of(error: ErrorFields): Grouping {
    if (error.payload) return groupingOf(error);
    const key = `${error.sourceModule ?? ""}\u0000${error.message}\u0000${discriminatorOf(error.message, error.customAttributes) ?? ""}`;
    let grouping = this.memo.get(key);
    if (!grouping) {
      if (this.memo.size >= 10_000) this.memo.clear();
      grouping = groupingOf(error);
      this.memo.set(key, grouping);
    }
    return grouping;
  }
}

/** Only these attributes steer grouping; an event whose JSON names none is not parsed. */
const STEERING = /"_error_type"|"_http_url"/;

/** The error of a stored event, when it is one (accepted errors only: the `error` category). */
export function errorOf(event: StoredEvent, memo?: GroupingMemo): ErrorOccurrence | null {
  if (categoryOfEvent(event) !== "error") return null;
  let attributes: Record<string, string> | null = null;
  if (event.customAttributes && STEERING.test(event.customAttributes)) {
    try {
      attributes = JSON.parse(event.customAttributes) as Record<string, string>;
    } catch {
      attributes = null;
    }
  }
  const fields = {
    message: event.message,
    sourceModule: event.sourceModule,
    customAttributes: attributes,
    payload: event.kind === "event" ? (event.payload ?? null) : null,
  };
  const { fingerprint, title } = memo ? memo.of(fields) : groupingOf(fields);
  return {
    eventId: event.id,
    projectId: event.projectId,
    appId: event.appId,
    isDev: event.isDev,
    sessionId: event.sessionId,
    userId: event.userId,
    fingerprint,
    title: title.slice(0, 500),
    sourceModule: event.sourceModule,
    appVersion: event.appVersion,
    sdkName: event.sdkName,
    sdkVersion: event.sdkVersion,
    environment: event.environment,
    countryCode: event.countryCode,
    timestamp: event.timestamp,
    receivedAt: event.receivedAt,
  };
}

/** The error of an event read back from the store (a rebuild, or what a crash left ungrouped). */
export const storedErrorOf = (e: StoredError): ErrorOccurrence | null =>
  errorOf({ ...e, kind: (e.kind ?? undefined) as StoredEvent["kind"] } as StoredEvent);

/**
 * Errors become issues right behind the commit that stores them (decision 011): the commit hands
 * its accepted errors over once durable; a round moments later groups what waits, through the
 * same writer, in one transaction that also indexes each error in issue_events. A restart groups
 * the hot errors missing from that index, so every error is grouped once.
 */
export class IssueGrouper {
  private memory = new IssueMemory();
  private known = new KnownPairs();
  private readonly memo = new GroupingMemo();
  /** Committed errors waiting for their round, by commit, in commit order. */
  private pending: ErrorOccurrence[][] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Rounds, merges and rebuilds, one at a time: each sees the memory the one before left. */
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private writer: SharedWriter | null = null;
  private wakeTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: Pick<Database, "snapshot"> & { readonly isOpen: boolean },
    private readonly log: Logger,
    /** Each round's new, regressed and reopened issues: `queue` in its transaction, `after` once it commits. */
    private readonly news: {
      queue(tx: WriteTx, result: RoundResult, now: Date): Promise<unknown>;
      after(result: RoundResult): void;
    } | null = null,
    /** The user who claimed an anonymous id (identity claims), applied when an error is grouped. */
    private readonly resolveUser: (projectId: string, userId: string) => string = (_, userId) => userId,
    /**
     * Whether another process changed the grouping tables since memory was loaded (a merge on
     * another node of a cluster): then a round reloads memory first, inside its transaction.
     */
    private readonly stale: ((tx: Tx) => Promise<boolean>) | null = null,
  ) {}

  /**
   * Loads memory and starts grouping through `writer` (the queue whose commits feed `collect`);
   * with `findUngrouped`, what a stop or a crash left ungrouped in the hot table goes first (a
   * cluster's feed finds its own from ClickHouse).
   */
  async start(writer: SharedWriter, findUngrouped = true): Promise<void> {
    this.writer = writer;
    this.memory = await this.store.snapshot((tx) => loadMemory(tx));
    const left = findUngrouped ? await this.store.snapshot((tx) => ungroupedErrors(tx)) : [];
    const errors = left.map(storedErrorOf).filter((e) => e !== null);
    if (errors.length > 0) {
      // In round-sized pieces: a large backlog must not hold the writer in one long round.
      for (let i = 0; i < errors.length; i += ROUND_SIZE) this.pending.push(errors.slice(i, i + ROUND_SIZE));
      this.log.info("ungrouped errors found at start", { errors: errors.length });
      this.schedule(0);
    }
    this.wakeTimer = setInterval(() => {
      this.exclusive(() => this.wakeSnoozes()).catch((error: unknown) => {
        if (this.store.isOpen && !this.stopped)
          this.log.error("waking snoozed issues failed", { error: String(error) });
      });
    }, WAKE_EVERY_MS);
    this.wakeTimer.unref();
  }

  /** Snoozes whose time has come go back to new (checked every minute). */
  async wakeSnoozes(now = new Date()): Promise<string[]> {
    if (!this.writer || this.stopped) return [];
    const woken = await this.writer.run(async () => (tx) => wakeSnoozed(tx, now));
    if (woken.length > 0) this.log.info("snoozes ended", { issues: woken.length });
    return woken;
  }

  /**
   * For the ingest commit, with the events it stores: their errors wait for a round once the commit
   * is durable. Nothing is written: the events are the durable record, and issue_events tells which
   * of them a round has grouped.
   */
  collect(events: readonly StoredEvent[]): () => void {
    const errors: ErrorOccurrence[] = [];
    for (const event of events) {
      const error = errorOf(event, this.memo);
      if (error) errors.push(error);
    }
    return () => {
      if (errors.length === 0) return;
      this.pending.push(errors);
      this.schedule(ROUND_DELAY_MS);
    };
  }

  /** Errors read back from the store, for the next round (a cluster's feed, which then settles). */
  add(errors: readonly ErrorOccurrence[]): void {
    if (errors.length > 0) this.pending.push([...errors]);
  }

  /** Runs `work` after every round, merge or rebuild queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Groups every error waiting now (tests). */
  async settle(): Promise<void> {
    while (await this.exclusive(() => this.round())) {}
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.wakeTimer) clearInterval(this.wakeTimer);
    await this.chain;
  }

  /** After a merge commits. */
  merged(sourceId: string, targetId: string): void {
    this.memory.merge(sourceId, targetId);
    this.known = new KnownPairs();
  }

  /** After a rebuild commits: memory as the rebuilt tables have it. */
  async reload(): Promise<void> {
    this.memory = await this.store.snapshot((tx) => loadMemory(tx));
    this.known = new KnownPairs();
  }

  private schedule(delay: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.exclusive(() => this.round())
        .then((more) => {
          if (more) this.schedule(0);
        })
        .catch((error: unknown) => {
          if (this.stopped || !this.store.isOpen) return;
          this.log.error("issue grouping failed; retrying in a second", { error: String(error) });
          setTimeout(() => this.schedule(0), 1_000).unref();
        });
    }, delay);
    this.timer.unref();
  }

  /** One round: returns whether more errors wait. */
  private async round(): Promise<boolean> {
    const started = performance.now();
    if (!this.writer) throw new Error("The issue grouper is not started");
    // Whole commits, up to about a round's size, in grouping's order.
    let taken = 0;
    let count = 0;
    while (taken < this.pending.length && count < ROUND_SIZE)
      count += (this.pending[taken++] as unknown[]).length;
    if (taken === 0) return false;
    const batches = this.pending.slice(0, taken);
    const { errors, round, result } = await this.writer.run(async (tx) => {
      if (this.stale && (await this.stale(tx))) {
        this.memory = await loadMemory(tx);
        this.known = new KnownPairs();
      }
      const memory = this.memory;
      // Users as the claims have them now (a claim may have come after the error's commit).
      const errors = batches
        .flat()
        .map((e) => (e.userId === null ? e : { ...e, userId: this.resolveUser(e.projectId, e.userId) }))
        .sort(inGroupingOrder);
      const round = memory.group(errors);
      return async (tx) => {
        const now = new Date();
        const result = await writeRound(tx, errors, round, now, this.known);
        await this.news?.queue(tx, result, now);
        return { errors, round, result };
      };
    });
    round.commit();
    result.learn();
    this.pending.splice(0, taken);
    if (errors.length > 0) {
      this.log.info("issues grouped", {
        errors: errors.length,
        issues: new Set(round.assigned).size,
        new: result.created.length,
        regressed: result.regressed.length,
        ms: Math.round(performance.now() - started),
      });
      this.news?.after(result);
    }
    return this.pending.length > 0;
  }
}

/** Grouping's order: received, then the event's time, then its id (as the rebuild reads them). */
function inGroupingOrder(a: ErrorOccurrence, b: ErrorOccurrence): number {
  return (
    a.receivedAt - b.receivedAt ||
    a.timestamp - b.timestamp ||
    (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
  );
}

/** Grouping memory from the tables: issues, fingerprints, merges, and the bursts still open. */
export async function loadMemory(tx: Tx): Promise<IssueMemory> {
  const state = await loadGroupingState(tx, BURST_MEMORY_MS);
  const memory = new IssueMemory();
  for (const i of state.issues) memory.loadIssue(i.id, i.seq, i.title);
  for (const f of state.fingerprints) memory.loadFingerprint(f);
  for (const m of state.merges) memory.loadMerge(m.source, m.target);
  for (const e of state.recent) memory.replayBurst(e, e.issueId);
  return memory;
}
