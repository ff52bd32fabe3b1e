import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/lib/log";
import { groupingOf } from "../../../src/modules/issues/fingerprint";
import { rebuildIssues } from "../../../src/modules/issues/rebuild";
import { Lake } from "../../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../../helpers";
import { random } from "../../support/random";

/**
 * Random errors over many sessions, versions and users, sent in batches with grouping rounds
 * falling anywhere between them; then the issues API against a from-scratch recomputation of the
 * rules (written again here, in one pass over the stored errors in receive order), hot, sealed
 * and compacted, and after `roost issues rebuild`.
 */
let roost: Roost;
let t: Tenant;
beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Diff");
});
afterAll(() => roost.close());

const SEED = 20261201;
const rand = random(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const MESSAGES = [
  (n: number) => `User ${n} not found`,
  (n: number) => `Timeout after ${n} ms`,
  () => "Database is locked",
  (n: number) => `Missing key "k${n}"`,
  () => "metric:sync:fail",
  () => "step:checkout:fail",
  () => "Decoding failed",
];
const MODULES = [null, "Sync", "Checkout"];
const VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.10.0", null];
const T0 = Date.parse("2026-11-25T00:00:00Z");

function makeEvents(count: number) {
  const events: Record<string, unknown>[] = [];
  const sessions = Array.from({ length: 40 }, (_, i) => ({
    id: `sess-${i}`,
    at: T0 + i * 600_000,
    user: i % 5 === 0 ? null : `owl_anon_${i % 12}`,
  }));
  for (let i = 0; i < count; i++) {
    const s = pick(sessions);
    s.at += Math.floor(rand() * 4_000) + 1; // bursts: a few seconds apart, sometimes more
    if (rand() < 0.2) s.at += 20_000;
    const network = rand() < 0.1;
    const level = rand() < 0.15 ? "info" : "error";
    events.push({
      client_event_id: `d-${i}`,
      session_id: s.id,
      user_id: s.user,
      level,
      message: network ? "sdk:network_request" : pick(MESSAGES)(Math.floor(rand() * 50)),
      source_module: network ? null : pick(MODULES),
      environment: "ios",
      app_version: pick(VERSIONS),
      is_dev: rand() < 0.1,
      custom_attributes: network
        ? {
            _http_url: `https://api.diff.io/${pick(["cart", "orders"])}/${Math.floor(rand() * 9)}`,
            _http_method: pick(["GET", "POST"]),
          }
        : rand() < 0.1
          ? { _error_type: pick(["A", "B"]) }
          : undefined,
      timestamp: new Date(s.at).toISOString(),
    });
  }
  return events;
}

/** Every event the events API has, in grouping's order (received, then time, then id). */
async function storedEvents() {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?project_id=${t.project.id}&data_mode=all&order=asc&limit=200${cursor ? `&cursor=${cursor}` : ""}`;
    const page: any = await roost.call("GET", q, { token: t.token });
    expect(page.status).toBe(200);
    all.push(...page.body.events);
    cursor = page.body.cursor;
  } while (cursor);
  return all.sort(
    (a, b) =>
      a.received_at.localeCompare(b.received_at) ||
      a.timestamp.localeCompare(b.timestamp) ||
      a.id.localeCompare(b.id),
  );
}

/** A stable order: a fingerprint names one issue per data mode. */
const stableOrder = (
  a: { fingerprints: string[]; is_dev: boolean },
  b: { fingerprints: string[]; is_dev: boolean },
) =>
  (a.fingerprints[0] as string).localeCompare(b.fingerprints[0] as string) ||
  Number(a.is_dev) - Number(b.is_dev);

const LIFECYCLE = ["metric:", "step:", "track:"];
const lifecycle = (title: string) => LIFECYCLE.some((p) => title.startsWith(p));

/** Owlmetry's rules over the errors in order, from nothing. */
function recompute(events: any[]) {
  interface Acc {
    seq: number;
    isDev: boolean;
    title: string;
    events: number;
    sessions: Set<string>;
    users: Set<string>;
    first: number;
    last: number;
    firstRelease: [string, number] | null;
    lastRelease: [string, number] | null;
    fingerprints: Set<string>;
  }
  const issues: Acc[] = [];
  const byFingerprint = new Map<string, Acc>();
  const bursts = new Map<string, { start: number; received: number; issues: Acc[] }>();
  for (const e of events.filter((x) => x.level === "error")) {
    const at = Date.parse(e.timestamp);
    const received = Date.parse(e.received_at);
    const { fingerprint } = groupingOf({
      message: e.message,
      sourceModule: e.source_module,
      customAttributes: e.custom_attributes,
      payload: null,
    });
    const scope = `${e.app_id}/${e.is_dev}`;
    let burst = bursts.get(`${scope}/${e.session_id}`);
    if (!burst || received - burst.received > 600_000 || at < burst.start || at - burst.start > 5_000) {
      burst = { start: at, received, issues: [] };
    }
    let issue = byFingerprint.get(`${scope}/${fingerprint}`);
    if (!issue) {
      if (burst.issues.length > 0) {
        issue = burst.issues.reduce((a, b) => (b.seq < a.seq ? b : a));
        if (lifecycle(issue.title) && !lifecycle(e.message)) issue.title = e.message;
      } else {
        issue = {
          seq: issues.length,
          isDev: e.is_dev,
          title: e.message,
          events: 0,
          sessions: new Set(),
          users: new Set(),
          first: at,
          last: at,
          firstRelease: null,
          lastRelease: null,
          fingerprints: new Set(),
        };
        issues.push(issue);
      }
      byFingerprint.set(`${scope}/${fingerprint}`, issue);
      issue.fingerprints.add(fingerprint);
    }
    if (!burst.issues.includes(issue)) burst.issues.push(issue);
    burst.received = Math.max(burst.received, received);
    bursts.set(`${scope}/${e.session_id}`, burst);
    issue.events++;
    issue.sessions.add(e.session_id);
    if (e.user_id) issue.users.add(e.user_id);
    issue.first = Math.min(issue.first, at);
    issue.last = Math.max(issue.last, at);
    if (e.app_version) {
      if (!issue.firstRelease || at < issue.firstRelease[1]) issue.firstRelease = [e.app_version, at];
      if (!issue.lastRelease || at >= issue.lastRelease[1]) issue.lastRelease = [e.app_version, at];
    }
  }
  return issues
    .map((i) => ({
      is_dev: i.isDev,
      title: i.title,
      event_count: i.events,
      occurrence_count: i.sessions.size,
      unique_user_count: i.users.size,
      first_seen_at: new Date(i.first).toISOString(),
      last_seen_at: new Date(i.last).toISOString(),
      first_seen_app_version: i.firstRelease?.[0] ?? null,
      last_seen_app_version: i.lastRelease?.[0] ?? null,
      fingerprints: [...i.fingerprints].sort(),
    }))
    .sort(stableOrder);
}

async function issuesApi() {
  const r = await roost.call("GET", `/v1/projects/${t.project.id}/issues?data_mode=all&limit=200`, {
    token: t.token,
  });
  expect(r.body.has_more).toBe(false);
  return r.body.issues as any[];
}
const comparable = (issues: any[]) =>
  issues
    .map((i) => ({
      is_dev: i.is_dev,
      title: i.title,
      event_count: i.event_count,
      occurrence_count: i.occurrence_count,
      unique_user_count: i.unique_user_count,
      first_seen_at: i.first_seen_at,
      last_seen_at: i.last_seen_at,
      first_seen_app_version: i.first_seen_app_version,
      last_seen_app_version: i.last_seen_app_version,
      fingerprints: [...i.fingerprints].sort(),
    }))
    .sort(stableOrder);

describe(`issues against a recomputation (seed ${SEED})`, () => {
  test("hot, sealed, compacted, after a claim and after a rebuild", async () => {
    const events = makeEvents(900);
    for (let i = 0; i < events.length; i += 30) {
      const r = await roost.call("POST", "/v1/ingest", {
        token: t.clientKey,
        body: { bundle_id: t.app.bundle_id, events: events.slice(i, i + 30) },
      });
      expect(r.status).toBe(200);
      if (rand() < 0.5) await roost.services.grouper.settle();
      // A claim halfway: the anonymous id's earlier errors count under the user from then on.
      if (i === 450) {
        const c = await roost.call("POST", "/v1/identity/claim", {
          token: t.clientKey,
          body: { anonymous_id: "owl_anon_3", user_id: "claimed-user" },
        });
        expect(c.status).toBe(200);
      }
    }
    await roost.services.grouper.settle();

    const live = comparable(await issuesApi());
    expect(live.length).toBeGreaterThan(10);
    expect(live.some((i) => i.fingerprints.length > 1)).toBe(true); // bursts aliased something
    expect(live).toEqual(recompute(await storedEvents()));

    const lake = new Lake(roost.store, roost.dir, createLogger("silent"));
    await lake.seal(new Date(Date.now() + 1000));
    expect(comparable(await issuesApi())).toEqual(live);
    expect(recompute(await storedEvents())).toEqual(live);
    await lake.compact(new Date(Date.now() + 3_600_000));
    expect(comparable(await issuesApi())).toEqual(live);
    expect(recompute(await storedEvents())).toEqual(live);

    // The rebuild gives the same issues, with their ids, numbers and statuses.
    const before = await issuesApi();
    const target = before[0];
    const p = await roost.call("PATCH", `/v1/projects/${t.project.id}/issues/${target.id}`, {
      token: t.token,
      body: { status: "resolved", resolved_at_version: "9.9.9" },
    });
    expect(p.status).toBe(200);
    await roost.services.grouper.stop();
    const report = await rebuildIssues(roost.store, roost.dir, createLogger("silent"));
    expect(report.issues).toBe(before.length);
    const after = await issuesApi();
    const key = (i: any) => `${i.id}/${i.short_id}/${i.created_at}`;
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
    expect(comparable(after)).toEqual(live);
    expect(after.find((i) => i.id === target.id)).toMatchObject({
      status: "resolved",
      resolved_at_version: "9.9.9",
    });
  });
});
