import { createHash } from "node:crypto";

/**
 * Grouping errors into issues, in the order they are handed over (decision 011). Pure memory: the
 * live rounds and `roost issues rebuild` run the same code over the same order, so they agree.
 *
 * Owlmetry's rules, applied as errors arrive instead of by an hourly scan:
 * - a fingerprint belongs to one issue per (app, dev or production), for good;
 * - errors of one session within 5 seconds of the burst's first error are one failure: a
 *   fingerprint not seen before joins the burst's oldest issue, or, when the burst has none yet,
 *   opens a new one;
 * - issues that already exist are never merged by grouping.
 */

/** One accepted error, as grouping and the issue counts read it. */
export interface ErrorOccurrence {
  eventId: string;
  projectId: string;
  appId: string;
  isDev: boolean;
  sessionId: string;
  userId: string | null;
  fingerprint: string;
  title: string;
  sourceModule: string | null;
  appVersion: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  environment: string | null;
  countryCode: string | null;
  /** Epoch milliseconds. */
  timestamp: number;
  receivedAt: number;
}

export const BURST_WINDOW_MS = 5_000;
/** A session's burst is forgotten once no error of it arrived for this long (by received time). */
export const BURST_MEMORY_MS = 10 * 60_000;
/** Lifecycle messages make poor titles (Owlmetry's rule). */
const LIFECYCLE_PREFIXES = ["metric:", "step:", "track:"];
const isLifecycle = (title: string) => LIFECYCLE_PREFIXES.some((p) => title.startsWith(p));

interface Burst {
  start: number;
  lastReceived: number;
  /** Issue ids, in the order the burst met them. */
  issues: readonly string[];
}

export interface NewIssue {
  id: string;
  seq: number;
  projectId: string;
  appId: string;
  isDev: boolean;
  title: string;
  sourceModule: string | null;
}

export interface Alias {
  fingerprint: string;
  appId: string;
  isDev: boolean;
  issueId: string;
}

/** What a round decided: applied to the store in its transaction, and to memory after it commits. */
export interface Round {
  created: NewIssue[];
  aliases: Alias[];
  /** The issue of each error, in the order given. */
  assigned: string[];
  /** Issues that had a lifecycle title and met a better one in their burst. */
  retitled: Map<string, string>;
  commit(): void;
}

/** An issue's id follows from what opened it, so a rebuild gives every issue the id it had. */
export function issueIdOf(projectId: string, appId: string, isDev: boolean, fingerprint: string): string {
  const hex = createHash("sha256").update(`${projectId}|${appId}|${isDev}|${fingerprint}`).digest("hex");
  // RFC 9562 version 8 (custom), variant 10.
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const fingerprintKey = (appId: string, isDev: boolean, fingerprint: string) =>
  `${appId}|${isDev ? 1 : 0}|${fingerprint}`;
/** What places an error in its session's burst. */
type BurstPlace = Pick<ErrorOccurrence, "appId" | "isDev" | "sessionId" | "timestamp" | "receivedAt">;
const burstKey = (e: BurstPlace) => `${e.appId}|${e.isDev ? 1 : 0}|${e.sessionId}`;

/** The grouping memory: every fingerprint's issue, every issue's age, and the open bursts. */
export class IssueMemory {
  private readonly fingerprints = new Map<string, string>();
  private readonly seqs = new Map<string, number>();
  private readonly titles = new Map<string, string>();
  private readonly merged = new Map<string, string>();
  private readonly bursts = new Map<string, Burst>();
  private nextSeq = 1;

  /** At start-up and in a rebuild: an issue as stored. */
  loadIssue(id: string, seq: number, title: string): void {
    this.seqs.set(id, seq);
    this.titles.set(id, title);
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
  }

  /** Numbers up to `seq` are taken (a rebuild keeps every issue's number). */
  reserveSeq(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
  }

  loadFingerprint(a: Alias): void {
    this.fingerprints.set(fingerprintKey(a.appId, a.isDev, a.fingerprint), a.issueId);
  }

  loadMerge(sourceId: string, targetId: string): void {
    this.merged.set(sourceId, targetId);
  }

  /** At start-up: the bursts of recent errors, replayed in order with the issue each went to. */
  replayBurst(e: BurstPlace, issueId: string): void {
    const burst = this.openBurst(this.bursts.get(burstKey(e)), e);
    this.bursts.set(burstKey(e), withIssue(burst, issueId, e.receivedAt));
  }

  has(issueId: string): boolean {
    return this.seqs.has(issueId);
  }

  /** After a merge commits: the source's fingerprints are the target's, and the source is gone. */
  merge(sourceId: string, targetId: string): void {
    for (const [key, id] of this.fingerprints) if (id === sourceId) this.fingerprints.set(key, targetId);
    this.seqs.delete(sourceId);
    this.titles.delete(sourceId);
    this.merged.set(sourceId, targetId);
    for (const [key, burst] of this.bursts) {
      if (!burst.issues.includes(sourceId)) continue;
      const issues = [...new Set(burst.issues.map((id) => (id === sourceId ? targetId : id)))];
      this.bursts.set(key, { ...burst, issues });
    }
  }

  /** Where a merged issue's errors go now. */
  private resolve(issueId: string): string {
    let id = issueId;
    for (let hops = 0; hops < 100 && this.merged.has(id); hops++) id = this.merged.get(id) as string;
    return id;
  }

  private openBurst(burst: Burst | undefined, e: BurstPlace): Burst {
    const open =
      burst !== undefined &&
      e.receivedAt - burst.lastReceived <= BURST_MEMORY_MS &&
      e.timestamp >= burst.start &&
      e.timestamp - burst.start <= BURST_WINDOW_MS;
    return open ? burst : { start: e.timestamp, lastReceived: e.receivedAt, issues: [] };
  }

  /** Groups `errors` in order, without changing memory until the round's `commit()`. */
  group(errors: readonly ErrorOccurrence[]): Round {
    const fingerprints = new Map<string, string>();
    const bursts = new Map<string, Burst>();
    const seqs = new Map<string, number>();
    const titles = new Map<string, string>();
    const created: NewIssue[] = [];
    const aliases: Alias[] = [];
    const assigned: string[] = [];
    const retitled = new Map<string, string>();
    let nextSeq = this.nextSeq;
    const seqOf = (id: string) => seqs.get(id) ?? (this.seqs.get(id) as number);
    const exists = (id: string) => seqs.has(id) || this.seqs.has(id);
    const alias = (e: ErrorOccurrence, key: string, issueId: string) => {
      fingerprints.set(key, issueId);
      aliases.push({ fingerprint: e.fingerprint, appId: e.appId, isDev: e.isDev, issueId });
    };

    for (const e of errors) {
      const bKey = burstKey(e);
      const burst = this.openBurst(bursts.get(bKey) ?? this.bursts.get(bKey), e);
      const fKey = fingerprintKey(e.appId, e.isDev, e.fingerprint);
      let issueId = fingerprints.get(fKey) ?? this.fingerprints.get(fKey);
      if (issueId !== undefined) {
        issueId = this.resolve(issueId);
      } else if (burst.issues.length > 0) {
        issueId = burst.issues.reduce((oldest, id) => (seqOf(id) < seqOf(oldest) ? id : oldest));
        alias(e, fKey, issueId);
        const title = titles.get(issueId) ?? this.titles.get(issueId) ?? "";
        if (isLifecycle(title) && !isLifecycle(e.title)) {
          titles.set(issueId, e.title);
          retitled.set(issueId, e.title);
        }
      } else {
        issueId = this.resolve(issueIdOf(e.projectId, e.appId, e.isDev, e.fingerprint));
        if (!exists(issueId)) {
          const issue = {
            id: issueId,
            seq: nextSeq++,
            projectId: e.projectId,
            appId: e.appId,
            isDev: e.isDev,
            title: e.title,
            sourceModule: e.sourceModule,
          };
          created.push(issue);
          seqs.set(issueId, issue.seq);
          titles.set(issueId, e.title);
        }
        alias(e, fKey, issueId);
      }
      bursts.set(bKey, withIssue(burst, issueId, e.receivedAt));
      assigned.push(issueId);
    }

    for (const issue of created) {
      const title = titles.get(issue.id);
      if (title !== undefined && title !== issue.title) {
        issue.title = title;
        retitled.delete(issue.id);
      }
    }
    return {
      created,
      aliases,
      assigned,
      retitled,
      commit: () => {
        for (const [key, id] of fingerprints) this.fingerprints.set(key, id);
        for (const [id, seq] of seqs) this.seqs.set(id, seq);
        for (const [id, title] of titles) this.titles.set(id, title);
        for (const [key, burst] of bursts) this.bursts.set(key, burst);
        this.nextSeq = Math.max(this.nextSeq, nextSeq);
        this.forgetOldBursts();
      },
    };
  }

  /** Bursts no later error can join (their session was quiet for the memory's span). */
  private forgetOldBursts(): void {
    if (this.bursts.size < 10_000) return;
    let newest = 0;
    for (const burst of this.bursts.values()) newest = Math.max(newest, burst.lastReceived);
    for (const [key, burst] of this.bursts) {
      if (newest - burst.lastReceived > BURST_MEMORY_MS) this.bursts.delete(key);
    }
  }
}

function withIssue(burst: Burst, issueId: string, receivedAt: number): Burst {
  const issues = burst.issues.includes(issueId) ? burst.issues : [...burst.issues, issueId];
  return { start: burst.start, lastReceived: Math.max(burst.lastReceived, receivedAt), issues };
}
