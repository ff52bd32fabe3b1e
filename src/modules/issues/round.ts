import { compareVersions } from "../../lib/version";
import type { WriteTx } from "../../store/db";
import type { ErrorOccurrence, Round } from "./grouping";
import {
  addCounts,
  addDays,
  appendIssueEvents,
  applyTransitions,
  type IssueDelta,
  type IssueState,
  insertAliases,
  insertIssues,
  insertOccurrences,
  insertUsers,
  retitle,
  statesOf,
  type Transition,
} from "./repository";

/** What a round changed that people may be told about. */
export interface RoundResult {
  created: string[];
  regressed: string[];
  reopened: string[];
}

/**
 * The (issue, session) and (issue, user) pairs the store holds for sure, so a round asks the
 * store only about pairs it has not met: a busy issue's errors come from the same sessions and
 * users round after round. Learnt after a round commits; bounded (forgetting only costs a lookup).
 */
export class KnownPairs {
  readonly sessions = new Set<string>();
  readonly users = new Set<string>();

  learn(sessions: Iterable<string>, users: Iterable<string>): void {
    if (this.sessions.size > 500_000) this.sessions.clear();
    if (this.users.size > 500_000) this.users.clear();
    for (const k of sessions) this.sessions.add(k);
    for (const k of users) this.users.add(k);
  }
}

/** Writes a grouping round: new issues and fingerprints, the errors' counts, and status changes. */
export async function writeRound(
  tx: WriteTx,
  errors: readonly ErrorOccurrence[],
  round: Round,
  now: Date,
  known: KnownPairs = new KnownPairs(),
): Promise<RoundResult & { learn(): void }> {
  const byIssue = new Map<string, ErrorOccurrence[]>();
  for (const [i, e] of errors.entries()) {
    const id = round.assigned[i] as string;
    const list = byIssue.get(id);
    if (list) list.push(e);
    else byIssue.set(id, [e]);
  }
  const firstSeen = new Map(
    [...byIssue].map(([id, list]) => [id, Math.min(...list.map((e) => e.timestamp))]),
  );
  await insertIssues(tx, round.created, firstSeen, now);
  await insertAliases(tx, round.aliases);
  await retitle(tx, round.retitled);
  await appendIssueEvents(tx, errors, round.assigned);
  // Each session's and user's first error of an issue in this round, unless the store has it already.
  const sessions = new Map<string, number>();
  const users = new Map<string, readonly [string, string]>();
  for (const [i, e] of errors.entries()) {
    const issueId = round.assigned[i] as string;
    const session = `${issueId}|${e.sessionId}`;
    if (!sessions.has(session) && !known.sessions.has(session)) sessions.set(session, i);
    const user = `${issueId}|${e.userId}`;
    if (e.userId !== null && !known.users.has(user)) users.set(user, [issueId, e.userId]);
  }
  const firsts = [...sessions.values()];
  const newSessions = tally(
    await insertOccurrences(
      tx,
      firsts.map((i) => errors[i] as ErrorOccurrence),
      firsts.map((i) => round.assigned[i] as string),
    ),
  );
  const newUsers = tally(await insertUsers(tx, [...users.values()]));
  await addDays(tx, dayCounts(byIssue));
  await addCounts(
    tx,
    [...byIssue].map(([id, list]) => deltaOf(id, list, newSessions.get(id) ?? 0, newUsers.get(id) ?? 0)),
    now,
  );
  const transitions = transitionsOf(await statesOf(tx, [...byIssue.keys()]), byIssue);
  await applyTransitions(tx, transitions, now);
  return {
    learn: () => known.learn(sessions.keys(), users.keys()),
    created: round.created.map((i) => i.id),
    regressed: transitions.filter((t) => t.status === "regressed").map((t) => t.id),
    reopened: transitions.filter((t) => t.status === "new").map((t) => t.id),
  };
}

function tally(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dayCounts(byIssue: ReadonlyMap<string, readonly ErrorOccurrence[]>) {
  const days: Array<{ issueId: string; day: string; events: number }> = [];
  for (const [issueId, list] of byIssue) {
    for (const [day, events] of tally(list.map((e) => dayOf(e.timestamp))))
      days.push({ issueId, day, events });
  }
  return days;
}

/** The ends of a value's range over time: the earliest event with it, and the latest (later wins ties). */
function ends(list: readonly ErrorOccurrence[], value: (e: ErrorOccurrence) => string | null) {
  let first: { value: string; at: number } | null = null;
  let last: { value: string; at: number } | null = null;
  for (const e of list) {
    const v = value(e);
    if (v === null) continue;
    if (first === null || e.timestamp < first.at) first = { value: v, at: e.timestamp };
    if (last === null || e.timestamp >= last.at) last = { value: v, at: e.timestamp };
  }
  return { first, last };
}

function deltaOf(id: string, list: readonly ErrorOccurrence[], sessions: number, users: number): IssueDelta {
  const releases = ends(list, (e) => e.appVersion);
  const sdks = ends(list, (e) => e.sdkVersion);
  return {
    id,
    events: list.length,
    sessions,
    users,
    firstSeen: Math.min(...list.map((e) => e.timestamp)),
    lastSeen: Math.max(...list.map((e) => e.timestamp)),
    firstRelease: releases.first,
    lastRelease: releases.last,
    firstSdk: sdks.first,
    lastSdk: sdks.last,
  };
}

/**
 * The status rules an error applies to its issue: a resolved issue regresses when the error comes
 * from a version newer than the fix (an error without a version proves nothing); a snoozed one is
 * new again on its next error, or once its time has passed, or past its count.
 */
export function transitionsOf(
  states: readonly IssueState[],
  byIssue: ReadonlyMap<string, readonly ErrorOccurrence[]>,
): Transition[] {
  const out: Transition[] = [];
  for (const s of states) {
    const list = byIssue.get(s.id) ?? [];
    if (s.status === "resolved" && s.resolved_at_version !== null) {
      const fixed = s.resolved_at_version;
      if (list.some((e) => e.appVersion !== null && compareVersions(e.appVersion, fixed) > 0)) {
        out.push({ id: s.id, status: "regressed" });
      }
    } else if (s.status === "snoozed") {
      const until = s.snooze_until?.getTime() ?? null;
      if (until === null && s.snooze_count === null) {
        out.push({ id: s.id, status: "new" });
      } else if (until !== null && list.some((e) => e.receivedAt >= until)) {
        out.push({ id: s.id, status: "new" });
      } else if (s.snooze_count !== null) {
        const seen = (s.snooze_events ?? 0) + list.length;
        out.push(
          seen > s.snooze_count
            ? { id: s.id, status: "new" }
            : { id: s.id, status: "snoozed", snoozeEvents: seen },
        );
      }
    }
  }
  return out;
}
