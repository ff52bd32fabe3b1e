import type { Logger } from "../../lib/log";
import type { SharedWriter, Store, Tx, WriteTx } from "../../store/db";
import { categoryOfEvent, type StoredEvent } from "../pipeline/event";
import { groupingOf } from "./fingerprint";
import { BURST_MEMORY_MS, type ErrorOccurrence, IssueMemory } from "./grouping";
import { appendInbox, clearInbox, inboxSize, loadGroupingState, readInbox } from "./repository";
import { type RoundResult, writeRound } from "./round";

/** Errors one round takes: bounded, so one round never holds the writer for long. */
const ROUND_SIZE = 5_000;
/** How long after a commit its errors wait for a round, to share it with the next commits' errors. */
const ROUND_DELAY_MS = 250;

/** The error of a stored event, when it is one (accepted errors only: the `error` category). */
export function errorOf(event: StoredEvent): ErrorOccurrence | null {
  if (categoryOfEvent(event) !== "error") return null;
  let attributes: Record<string, string> | null = null;
  if (event.customAttributes) {
    try {
      attributes = JSON.parse(event.customAttributes) as Record<string, string>;
    } catch {
      attributes = null;
    }
  }
  const { fingerprint, title } = groupingOf({
    message: event.message,
    sourceModule: event.sourceModule,
    customAttributes: attributes,
    payload: event.kind === "event" ? (event.payload ?? null) : null,
  });
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

/**
 * Errors become issues right behind the commit that stores them (decision 011): the commit puts
 * each accepted error in the inbox (durable with the event, and cheap); a round moments later
 * groups the inbox through the same writer and empties it in one transaction. A restart finds
 * whatever a crash left in the inbox, so every error is grouped once.
 */
export class IssueGrouper {
  private memory = new IssueMemory();
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Rounds, merges and rebuilds, one at a time: each sees the memory the one before left. */
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private writer: SharedWriter | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Each round's new, regressed and reopened issues: `queue` in its transaction, `after` once it commits. */
    private readonly news: {
      queue(tx: WriteTx, result: RoundResult, now: Date): Promise<unknown>;
      after(result: RoundResult): void;
    } | null = null,
  ) {}

  /** Loads memory and starts grouping through `writer` (the queue whose commits feed `collect`). */
  async start(writer: SharedWriter): Promise<void> {
    this.writer = writer;
    this.memory = await this.store.snapshot((tx) => loadMemory(tx));
    this.pending = await this.store.snapshot((tx) => inboxSize(tx));
    if (this.pending > 0) this.schedule(0);
  }

  /** For the ingest commit: puts the commit's errors in the inbox, in its transaction. */
  async collect(tx: WriteTx, events: readonly StoredEvent[]): Promise<() => void> {
    const errors: ErrorOccurrence[] = [];
    for (const event of events) {
      const error = errorOf(event);
      if (error) errors.push(error);
    }
    await appendInbox(tx, errors);
    return () => {
      if (errors.length === 0) return;
      this.pending += errors.length;
      this.schedule(ROUND_DELAY_MS);
    };
  }

  /** Runs `work` after every round, merge or rebuild queued before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Groups everything in the inbox now (tests, shutdown, the CLI). */
  async settle(): Promise<void> {
    while (await this.exclusive(() => this.round())) {}
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.chain;
  }

  /** After a merge commits. */
  merged(sourceId: string, targetId: string): void {
    this.memory.merge(sourceId, targetId);
  }

  /** After a rebuild commits: memory as the rebuilt tables have it. */
  async reload(): Promise<void> {
    this.memory = await this.store.snapshot((tx) => loadMemory(tx));
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

  /** One round: returns whether the inbox may hold more. */
  private async round(): Promise<boolean> {
    const started = performance.now();
    const memory = this.memory;
    if (!this.writer) throw new Error("The issue grouper is not started");
    const { errors, round, result } = await this.writer.run(async (tx) => {
      const errors = await readInbox(tx, ROUND_SIZE);
      const round = memory.group(errors);
      return async (tx) => {
        const now = new Date();
        const result = await writeRound(tx, errors, round, now);
        await this.news?.queue(tx, result, now);
        await clearInbox(
          tx,
          errors.map((e) => e.eventId),
        );
        return { errors, round, result };
      };
    });
    round.commit();
    this.pending = Math.max(0, this.pending - errors.length);
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
    return errors.length === ROUND_SIZE;
  }
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
