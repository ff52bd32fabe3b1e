import type { Logger } from "../lib/log";
import type { IdentityClaims } from "../modules/identity/claims";
import { IssueGrouper, storedErrorOf } from "../modules/issues/grouper";
import {
  errorIdsBetween,
  errorsAfter,
  errorsById,
  groupedUpTo,
  indexed,
} from "../modules/issues/repository.cluster";
import { type NotificationDispatcher, queueIssueNews } from "../modules/notifications/dispatcher";
import type { ClickHouse } from "../store/clickhouse/client";
import type { PgStore } from "../store/postgres/db";
import { clusterVersion } from "../store/postgres/settings";

/** The session lock whose holder groups errors into issues. */
const GROUPING_LOCK = 7_017_020;
/** How often a node tries for the lock, and the grouping node reads new errors. */
const TICK_MS = 1_000;
/** Errors younger than this are left for the next read: their round may still be inserting. */
const SETTLE_MS = 1_000;
/** Behind the cursor, errors whose insert came late are looked for this far back. */
const LATE_MS = 60_000;
const BATCH = 5_000;

type Reserved = Awaited<ReturnType<PgStore["reserve"]>>;

/**
 * Errors become issues on a cluster (decision 017): grouping keeps memory (fingerprints, bursts),
 * so one node groups, the one holding a PostgreSQL session lock; the others try for it every
 * second, so another node takes over within a second or two of the holder dying (its session,
 * and the lock, end with it). The holder reads the errors every node stored from ClickHouse, in
 * the order they were received, after a cursor that starts where the issue index ends, and groups
 * them with the embedded store's grouper into the tables in PostgreSQL. An error whose insert
 * landed behind the cursor is found by a look back over the last minute, checked against the
 * index, so each error is grouped once. The holder also delivers the issue notifications its
 * rounds queue. Any failure ends the term: the lock is released, and the next term starts again
 * from the index.
 */
export class IssueFeed {
  private timer: ReturnType<typeof setInterval> | null = null;
  private term: {
    lock: Reserved;
    grouper: IssueGrouper;
    dispatcher: NotificationDispatcher;
    cursor: { ms: number; id: string };
    /** Errors this term has grouped or found indexed, by when received (dropped past the look-back). */
    handled: Map<string, number>;
  } | null = null;
  private busy = false;
  private seenVersion = 0;

  constructor(
    private readonly pg: PgStore,
    private readonly ch: ClickHouse,
    private readonly claims: IdentityClaims,
    private readonly log: Logger,
    /**
     * The issue notifications' dispatcher of a term: the grouping node queues them in its rounds
     * and delivers them, so no two nodes deliver the same one.
     */
    private readonly dispatcher: () => NotificationDispatcher,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** Whether this node groups now. */
  get grouping(): boolean {
    return this.term !== null;
  }

  /** One step: take the lock if free, then group what arrived. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.term ??= await this.begin();
      if (this.term) while (await this.read(this.term)) {}
    } catch (error) {
      this.log.error("issue grouping failed; the next term starts from the index", { error: String(error) });
      await this.end();
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await Bun.sleep(10);
    await this.end();
  }

  private async begin() {
    const lock = await this.pg.reserve();
    const [row] = await lock`SELECT pg_try_advisory_lock(${GROUPING_LOCK}) AS ok`;
    if (!row?.ok) {
      lock.release();
      return null;
    }
    const dispatcher = this.dispatcher();
    const grouper = new IssueGrouper(
      this.pg,
      this.log,
      { queue: (tx, result, now) => queueIssueNews(tx, result, now), after: () => dispatcher.wake() },
      (projectId, userId) => this.claims.resolve(projectId, userId),
      async (tx) => {
        const version = await clusterVersion(tx, "issue_memory");
        const moved = version !== this.seenVersion;
        this.seenVersion = version;
        return moved;
      },
    );
    this.seenVersion = await clusterVersion(this.pg, "issue_memory");
    await grouper.start(this.pg.shared, false);
    const cursor = await groupedUpTo(this.pg);
    dispatcher.start();
    this.log.info("issue grouping taken on", { after_ms: cursor.ms });
    return { lock, grouper, dispatcher, cursor, handled: new Map<string, number>() };
  }

  /** Groups the next errors; whether more wait. */
  private async read(term: NonNullable<IssueFeed["term"]>): Promise<boolean> {
    const until = Date.now() - SETTLE_MS;
    const fresh = await errorsAfter(this.ch, term.cursor, until, BATCH);
    // Of the look-back, only ids this term has not handled are checked against the index: the
    // rest were checked (or grouped) by an earlier read.
    const lookBack = (await errorIdsBetween(this.ch, term.cursor.ms - LATE_MS, term.cursor.ms)).filter(
      (id) => !term.handled.has(id),
    );
    const done = await indexed(this.pg, [...fresh.map((e) => e.id), ...lookBack]);
    const freshIds = new Set(fresh.map((e) => e.id));
    const late = await errorsById(
      this.ch,
      lookBack.filter((id) => !done.has(id) && !freshIds.has(id)),
    );
    const read = [...late, ...fresh];
    term.grouper.add(
      read
        .filter((e) => !done.has(e.id))
        .map(storedErrorOf)
        .filter((e) => e !== null),
    );
    await term.grouper.settle();
    for (const e of read) term.handled.set(e.id, e.receivedAt);
    for (const id of lookBack) if (done.has(id)) term.handled.set(id, term.cursor.ms);
    const last = fresh.at(-1);
    if (last) term.cursor = { ms: last.receivedAt, id: last.id };
    for (const [id, ms] of term.handled) if (ms < term.cursor.ms - LATE_MS) term.handled.delete(id);
    return fresh.length === BATCH;
  }

  private async end(): Promise<void> {
    const term = this.term;
    this.term = null;
    if (!term) return;
    await term.grouper.stop().catch(() => {});
    await term.dispatcher.stop().catch(() => {});
    try {
      await term.lock`SELECT pg_advisory_unlock(${GROUPING_LOCK})`;
    } catch {
      // The session is gone, and the lock with it.
    }
    term.lock.release();
  }
}
