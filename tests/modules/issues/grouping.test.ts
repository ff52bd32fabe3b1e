import { describe, expect, test } from "bun:test";
import { type ErrorOccurrence, IssueMemory, issueIdOf } from "../../../src/modules/issues/grouping";

const APP = "0190a5e0-0000-7000-8000-000000000001";
const PROJECT = "0190a5e0-0000-7000-8000-0000000000aa";
const T0 = Date.parse("2026-11-30T10:00:00Z");
let n = 0;

/** An error of fingerprint `fp` in `session`, `ms` after T0, received in that order. */
function error(
  fp: string,
  session: string,
  ms: number,
  more: Partial<ErrorOccurrence> = {},
): ErrorOccurrence {
  n++;
  return {
    eventId: `e${n}`,
    projectId: PROJECT,
    appId: APP,
    isDev: false,
    sessionId: session,
    userId: null,
    fingerprint: fp,
    title: `title of ${fp}`,
    sourceModule: null,
    appVersion: null,
    sdkName: null,
    sdkVersion: null,
    environment: null,
    countryCode: null,
    timestamp: T0 + ms,
    receivedAt: T0 + ms + 100,
    ...more,
  };
}

/** Groups in one round and commits it; returns the issue of each error. */
function group(memory: IssueMemory, errors: ErrorOccurrence[]) {
  const round = memory.group(errors);
  round.commit();
  return round;
}

describe("session-burst aliasing (Owlmetry's rules, as errors arrive)", () => {
  test("a burst with no known fingerprint opens one issue, and every fingerprint in it is aliased", () => {
    const memory = new IssueMemory();
    const round = group(memory, [
      error("load", "s1", 0),
      error("caught", "s1", 1_000),
      error("metric:x:fail", "s1", 4_999),
    ]);
    expect(new Set(round.assigned).size).toBe(1);
    expect(round.created).toHaveLength(1);
    expect(round.aliases.map((a) => a.fingerprint)).toEqual(["load", "caught", "metric:x:fail"]);
    // Later, alone and in another session, each fingerprint still goes to that issue.
    const later = group(memory, [error("caught", "s9", 60_000), error("metric:x:fail", "s8", 90_000)]);
    expect(later.assigned).toEqual([round.assigned[0], round.assigned[0]] as string[]);
    expect(later.created).toHaveLength(0);
  });

  test("the window is 5 seconds from the burst's first error, not from the previous one", () => {
    const memory = new IssueMemory();
    const round = group(memory, [error("a", "s1", 0), error("b", "s1", 4_000), error("c", "s1", 5_001)]);
    expect(round.assigned[0]).toBe(round.assigned[1] as string);
    expect(round.assigned[2]).not.toBe(round.assigned[0] as string);
    expect(round.created).toHaveLength(2);
  });

  test("an unseen fingerprint joins the oldest issue of its burst; existing issues are never merged", () => {
    const memory = new IssueMemory();
    const first = group(memory, [error("old", "s1", 0)]).assigned[0] as string;
    const second = group(memory, [error("newer", "s2", 60_000)]).assigned[0] as string;
    expect(second).not.toBe(first);
    // A burst holding both known issues (newer first) and a new fingerprint.
    const burst = group(memory, [
      error("newer", "s3", 120_000),
      error("old", "s3", 121_000),
      error("fresh", "s3", 122_000),
    ]);
    expect(burst.assigned).toEqual([second, first, first]);
    expect(burst.created).toHaveLength(0);
    expect(burst.aliases).toEqual([{ fingerprint: "fresh", appId: APP, isDev: false, issueId: first }]);
  });

  test("dev and production never alias each other, even within one session", () => {
    const memory = new IssueMemory();
    const round = group(memory, [error("a", "s1", 0), error("b", "s1", 1_000, { isDev: true })]);
    expect(round.created).toHaveLength(2);
    expect(round.created.map((i) => i.isDev)).toEqual([false, true]);
    // The same fingerprint in dev is another issue.
    const dev = group(memory, [error("a", "s2", 60_000, { isDev: true })]);
    expect(dev.created).toHaveLength(1);
  });

  test("two sessions at the same moment are two failures", () => {
    const memory = new IssueMemory();
    const round = group(memory, [error("a", "s1", 0), error("b", "s2", 100)]);
    expect(round.created).toHaveLength(2);
  });

  test("another app is another scope", () => {
    const memory = new IssueMemory();
    const other = "0190a5e0-0000-7000-8000-000000000002";
    const round = group(memory, [error("a", "s1", 0), error("a", "s2", 0, { appId: other })]);
    expect(round.created).toHaveLength(2);
  });

  test("a lifecycle title gives way to the first plain message of its burst", () => {
    const memory = new IssueMemory();
    const round = group(memory, [
      error("m", "s1", 0, { title: "metric:checkout:fail" }),
      error("p", "s1", 500, { title: "Payment declined" }),
    ]);
    expect(round.created[0]?.title).toBe("Payment declined");
  });

  test("a burst that spans two rounds is still one burst", () => {
    const memory = new IssueMemory();
    const a = group(memory, [error("x", "s1", 0)]);
    const b = group(memory, [error("y", "s1", 2_000)]);
    expect(b.assigned[0]).toBe(a.assigned[0] as string);
    expect(b.created).toHaveLength(0);
  });

  test("an uncommitted round leaves memory as it was", () => {
    const memory = new IssueMemory();
    const dropped = memory.group([error("x", "s1", 0)]);
    const again = memory.group([error("x", "s1", 0)]);
    expect(again.created).toHaveLength(1);
    expect(again.created[0]?.seq).toBe(dropped.created[0]?.seq as number);
  });

  test("ids follow from what opened the issue, so a rebuild gives the same ids", () => {
    const memory = new IssueMemory();
    const round = group(memory, [error("x", "s1", 0)]);
    expect(round.assigned[0]).toBe(issueIdOf(PROJECT, APP, false, "x"));
    expect(issueIdOf(PROJECT, APP, false, "x")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test("a merged issue's fingerprints go to the target, and its id is never opened again", () => {
    const memory = new IssueMemory();
    const a = group(memory, [error("a", "s1", 0)]).assigned[0] as string;
    const b = group(memory, [error("b", "s2", 60_000)]).assigned[0] as string;
    memory.merge(b, a);
    const after = group(memory, [error("b", "s3", 120_000)]);
    expect(after.assigned).toEqual([a]);
    expect(after.created).toHaveLength(0);
  });
});
