import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { encodeCursor, parseList } from "../../src/modules/events/params";
import { type EventRow, listEvents, type Visible } from "../../src/modules/events/repository";
import { RecentTimes } from "../../src/modules/pipeline/recent-times";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

describe("RecentTimes", () => {
  test("keeps the newest times of each app and data mode, and names the n-th newest before a time", () => {
    const recent = new RecentTimes(3);
    for (const ms of [50, 10, 40, 20, 30]) recent.add("a", false, ms);
    recent.add("a", true, 45);
    recent.add("b", false, 35);
    // a keeps 30, 40, 50 (three at most); 10 and 20 were pushed out.
    expect(recent.edge(["a"], false, 1)).toBe(50);
    expect(recent.edge(["a"], false, 3)).toBe(30);
    expect(recent.edge(["a"], false, 4)).toBeNull();
    expect(recent.edge(["a", "b"], false, 3)).toBe(35);
    expect(recent.edge(["a"], null, 2)).toBe(45);
    expect(recent.edge(["a"], false, 1, 50)).toBe(40);
    expect(recent.edge(["a"], false, 2, 45)).toBe(30);
    expect(recent.edge(["c"], null, 1)).toBeNull();
    recent.add("a", false, 5); // older than all it keeps: ignored
    expect(recent.edge(["a"], false, 3)).toBe(30);
  });
});

/**
 * A newest page read within a guessed bound must be the page read without one, whatever the
 * guess: right, stale (events deleted since), from other apps, or missing.
 */
describe("listEvents within the bound of the newest known times", () => {
  let roost: Roost;
  let t: Tenant;
  let apps: string[];
  let visible: Visible;

  beforeAll(async () => {
    roost = await startRoost();
    t = await roost.tenant("Recent");
    const second = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "api", platform: "backend" },
    });
    apps = [t.app.id, second.body.id];
    visible = { appIds: apps, projectIds: [t.project.id] };
    const now = Date.now();
    const send = async (key: string, bundle: string | undefined, environment: string, offset: number) => {
      const events = Array.from({ length: 150 }, (_, i) => ({
        client_event_id: `${environment}-${offset}-${i}`,
        session_id: `s-${i % 7}`,
        level: i % 9 === 0 ? "error" : "info",
        message: `m${i}`,
        environment,
        is_dev: i % 5 === 0,
        // Spread over two days, out of order, some sharing a millisecond.
        timestamp: new Date(now - ((i * 7919 + offset) % 172_800) * 1000 - (i % 3)).toISOString(),
      }));
      const r = await roost.call("POST", "/v1/ingest", { token: key, body: { bundle_id: bundle, events } });
      expect(r.body.accepted).toBe(150);
    };
    await send(t.clientKey, t.app.bundle_id, "ios", 0);
    await send(second.body.client_key.secret, undefined, "backend", 333);
  });
  afterAll(() => roost.close());

  /** Every page of a walk through the cursor, with and without the guesses. */
  async function walk(query: Record<string, string>, recent?: RecentTimes) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 12; i++) {
      const p = parseList({ ...query, ...(cursor ? { cursor } : {}) });
      const rows: EventRow[] = await listEvents(roost.store, visible, p, { recent });
      const page = rows.slice(0, p.limit);
      pages.push(page.map((r) => r.id));
      if (rows.length <= p.limit) break;
      const last = page.at(-1) as EventRow;
      cursor = encodeCursor({ ts: last.ts_us, id: last.id, order: "desc" });
    }
    return pages;
  }

  const queries: Array<Record<string, string>> = [
    { limit: "50" },
    { limit: "50", data_mode: "all" },
    { limit: "50", data_mode: "development" },
    { limit: "7", until: new Date(Date.now() - 86_400_000).toISOString() },
    { limit: "20", since: "30h" },
  ];

  test("a right guess, learnt from the commits (the server's own), gives the same pages", async () => {
    // The commits taught it: the newest page has a bound to try.
    expect(roost.services.recentTimes.edge(apps, false, 51)).not.toBeNull();
    for (const query of queries) {
      expect(await walk(query, roost.services.recentTimes)).toEqual(await walk(query));
    }
  });

  test("stale or foreign guesses, or none, give the same pages", async () => {
    const stale = new RecentTimes();
    // Times newer than any event, of these apps: the bound holds too few rows, so the page is read again.
    for (const app of apps) for (let i = 0; i < 60; i++) stale.add(app, false, Date.now() + 60_000 + i);
    const foreign = new RecentTimes();
    for (let i = 0; i < 60; i++) foreign.add("00000000-0000-7000-8000-000000000000", false, Date.now() - i);
    const sparse = new RecentTimes();
    sparse.add(apps[0] as string, false, Date.now() - 3_600_000);
    for (const recent of [stale, foreign, sparse, new RecentTimes()]) {
      for (const query of queries) expect(await walk(query, recent)).toEqual(await walk(query));
    }
  });

  test("after a seal, pages over hot ∪ lake are the same with the guesses", async () => {
    const lake = new Lake(roost.store, roost.dir, createLogger("silent"));
    expect((await lake.seal(new Date(Date.now() + 1000))).rows).toBeGreaterThan(0);
    const more = Array.from({ length: 30 }, (_, i) => ({
      client_event_id: `late-${i}`,
      session_id: "s-late",
      level: "info",
      message: "late",
      environment: "ios",
      timestamp: new Date(Date.now() - i * 60_000).toISOString(),
    }));
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, events: more },
    });
    expect(r.body.accepted).toBe(30);
    for (const query of queries) {
      expect(await walk(query, roost.services.recentTimes)).toEqual(await walk(query));
    }
  });
});
