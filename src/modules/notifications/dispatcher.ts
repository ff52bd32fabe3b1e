import type { Config } from "../../config";
import { newId } from "../../lib/ids";
import type { Logger } from "../../lib/log";
import type { Database, SharedWriter, WriteTx } from "../../store/db";
import { mailOf } from "./mail";
import {
  dueDigests,
  dueItems,
  enqueue,
  type IssueNews,
  markDigest,
  markNotified,
  type NotificationEvent,
  type OutboxItem,
  productionNews,
  recordAttempt,
  stillPending,
  subscribers,
} from "./repository";
import { sendMail } from "./smtp";
import { retryDelay, signedRequest } from "./webhook";

/** What a grouping round decided that people hear about. */
export interface IssueChanges {
  created: readonly string[];
  regressed: readonly string[];
  reopened: readonly string[];
}

/**
 * In the grouping round's transaction: a notification per production issue that is new (or back
 * from a snooze) or regressed, for each destination of its project that takes that event. Queued
 * with the round, so a crash either keeps both or neither.
 */
export async function queueIssueNews(tx: WriteTx, changes: IssueChanges, now: Date): Promise<number> {
  const items: OutboxItem[] = [];
  const notified: string[] = [];
  const kinds: Array<[NotificationEvent, readonly string[]]> = [
    ["issue.new", [...changes.created, ...changes.reopened]],
    ["issue.regressed", changes.regressed],
  ];
  for (const [event, ids] of kinds) {
    const news = await productionNews(tx, ids);
    const destinations = await subscribers(tx, [...new Set(news.map((n) => n.project_id))], event);
    for (const issue of news) {
      const to = destinations.filter((x) => x.project_id === issue.project_id);
      if (to.length > 0) notified.push(issue.id);
      for (const d of to) {
        const id = newId();
        items.push({
          id,
          destinationId: d.id,
          event,
          payload: JSON.stringify(payloadOf(id, event, [issue], now)),
        });
      }
    }
  }
  await enqueue(tx, items, now);
  await markNotified(tx, [...new Set(notified)], now);
  return items.length;
}

function payloadOf(
  deliveryId: string,
  event: NotificationEvent,
  issues: IssueNews[],
  now: Date,
  since?: Date,
) {
  const project = issues[0] ? { id: issues[0].project_id, name: issues[0].project_name } : null;
  const shown = issues.map(({ project_id: _, project_name: __, ...issue }) => issue);
  return {
    event,
    delivery_id: deliveryId,
    sent_at: now.toISOString(),
    project,
    ...(event === "issue.digest" ? { since: since?.toISOString(), issues: shown } : { issue: shown[0] }),
  };
}

/**
 * Sends what the outbox holds: one attempt at a time, each recorded with its answer; a failure is
 * retried later (doubling waits), until the attempts run out. A delivery is marked in its own
 * commit after the receiver's 2xx, so a crash between the two sends it again, with the same
 * X-Roost-Delivery id (the receiver's to ignore).
 */
export class NotificationDispatcher {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private digestsCheckedAt = 0;

  constructor(
    private readonly store: Pick<Database, "snapshot"> & { readonly isOpen: boolean },
    private readonly writer: SharedWriter,
    private readonly config: Config["notifications"],
    private readonly version: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Runs the outbox until nothing is due (tests; the loop does the same). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.pass();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private schedule(delay: number): void {
    if (this.stopped || this.timer || !this.store.isOpen) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return this.schedule(this.config.pollMs);
      this.running = this.pass()
        .catch((error: unknown) => {
          if (this.store.isOpen) this.log.error("notifications failed", { error: String(error) });
        })
        .finally(() => {
          this.running = null;
          this.schedule(this.config.pollMs);
        });
    }, delay);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    await this.queueDigests();
    for (;;) {
      if (this.stopped) return;
      const due = await this.store.snapshot((tx) => dueItems(tx, new Date(), 20));
      if (due.length === 0) return;
      for (const item of due) {
        if (this.stopped) return;
        await this.attempt(item);
      }
    }
  }

  private async attempt(item: Awaited<ReturnType<typeof dueItems>>[number]): Promise<void> {
    const at = new Date();
    const started = performance.now();
    const attempt = item.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      if (item.url.startsWith("mailto:")) {
        if (!this.config.smtpUrl) throw new Error("no SMTP server (ROOST_SMTP_URL)");
        const mail = mailOf(item.url.slice("mailto:".length), item.payload);
        await sendMail(
          { url: this.config.smtpUrl, from: this.config.smtpFrom, timeoutMs: this.config.timeoutMs },
          mail,
        );
      } else {
        const response = await fetch(item.url, {
          ...signedRequest(item.secret, item.id, item.event, item.payload, at, this.version),
          signal: AbortSignal.timeout(this.config.timeoutMs),
          redirect: "manual",
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      }
    } catch (e) {
      error = String(e);
    }
    const delivered = error === null;
    const retryAt =
      !delivered && attempt < this.config.maxAttempts
        ? new Date(Date.now() + retryDelay(attempt, this.config.retryBaseMs))
        : null;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    await this.writer.run(async (tx) => {
      // Deleted with its destination meanwhile: nothing to mark.
      const pending = await stillPending(tx, item.id);
      return async (tx) => {
        if (pending)
          await recordAttempt(tx, { outboxId: item.id, attempt, status, error, ms, at }, delivered, retryAt);
      };
    });
    this.log.info("notification", {
      delivery: item.id,
      event: item.event,
      attempt,
      status,
      delivered,
      ms,
      error,
    });
  }

  private async queueDigests(): Promise<void> {
    const now = new Date();
    // Digests are due at most once a minute (or per their interval, when shorter): the outbox is
    // looked at every poll, the destinations' digests need not be.
    if (now.getTime() - this.digestsCheckedAt < Math.min(60_000, this.config.digestEveryMs)) return;
    this.digestsCheckedAt = now.getTime();
    const due = await this.store.snapshot((tx) => dueDigests(tx, now, this.config.digestEveryMs));
    for (const digest of due) {
      await this.writer.run(async () => async (tx) => {
        // Quiet when nothing changed (Owlmetry's rule); the next digest counts from now all the same.
        if (digest.issues.length > 0) {
          const id = newId();
          const payload = JSON.stringify(payloadOf(id, "issue.digest", digest.issues, now, digest.since));
          await enqueue(tx, [{ id, destinationId: digest.id, event: "issue.digest", payload }], now);
        }
        await markDigest(tx, digest.id, now);
      });
    }
  }
}
