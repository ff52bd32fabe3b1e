import { afterAll, describe, expect, test } from "bun:test";
import { foldAllUserCounts, recordUserCounts } from "../../src/modules/app-users/repository.cluster";
import { clusterClaimEvents } from "../../src/modules/identity/repository.cluster";
import type { StoredEvent } from "../../src/modules/pipeline/event";
import { ClickHouse } from "../../src/store/clickhouse/client";
import { PgStore } from "../../src/store/postgres/db";
import { tempDir } from "../support/server";
import { requireCluster } from "./nodes";

/**
 * A cluster's app user counts (decision 017): a round records its users' tallies as one pending
 * row; a fold (each second, before a read, at a claim) writes them under the claims as they stand
 * then, so no count stays under an anonymous id its claim folded, however the two interleave.
 */
requireCluster();
const pg = await PgStore.open(process.env.ROOST_DATABASE_URL as string, tempDir("roost-users-"), 4);
const ch = new ClickHouse({ url: process.env.ROOST_CLICKHOUSE_URL as string, shards: [], cluster: "roost" });
afterAll(() => Promise.all([pg.close(), ch.close()]));

const projectId = crypto.randomUUID();
const appId = crypto.randomUUID();
const claims = clusterClaimEvents(ch, foldAllUserCounts);
let seq = 0;
const event = (userId: string, over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: crypto.randomUUID(),
  appId,
  projectId,
  apiKeyId: crypto.randomUUID(),
  clientEventId: `u-${seq++}`,
  sessionId: "s",
  userId,
  level: "info",
  sourceModule: null,
  message: "m",
  screenName: null,
  customAttributes: null,
  experiments: null,
  environment: "ios",
  osVersion: null,
  appVersion: "1.0",
  sdkName: null,
  sdkVersion: null,
  buildNumber: null,
  deviceModel: null,
  locale: null,
  countryCode: null,
  isDev: false,
  timestamp: Date.now(),
  receivedAt: Date.now(),
  ...over,
});

const usersOf = async () =>
  (
    await pg.read<{ user_id: string; event_count: string; last_app_version: string | null }>(
      "SELECT user_id, event_count, last_app_version FROM app_users WHERE project_id = ?::UUID ORDER BY user_id",
      [projectId],
    )
  ).map((r) => [r.user_id, Number(r.event_count), r.last_app_version]);
const claim = (anonymousId: string, userId: string) =>
  pg.shared.run(async () => (tx) => claims.record(tx, { projectId, anonymousId, userId }, appId, new Date()));

describe("users counted by a cluster's rounds", () => {
  test("rounds' tallies wait as pending rows, and one fold merges them as the seal would", async () => {
    const t0 = Date.now() - 60_000;
    await pg.atomic((tx) => recordUserCounts(tx, [event("ann", { timestamp: t0, appVersion: "1.1" })]));
    await pg.atomic((tx) =>
      recordUserCounts(tx, [
        event("ann", { timestamp: t0 - 1000, appVersion: "0.9" }),
        event("ann", { timestamp: t0 + 1000, appVersion: null }),
      ]),
    );
    expect(await usersOf()).toEqual([]);
    await pg.atomic(foldAllUserCounts);
    // The newest version sent, though the newest event sent none.
    expect(await usersOf()).toEqual([["ann", 3, "1.1"]]);
    const [left] = await pg.read<{ n: string }>("SELECT count(*) AS n FROM app_user_counts_pending");
    expect(Number(left?.n)).toBe(0);
  });

  test("a claim folds what is pending for its id into the user", async () => {
    await pg.atomic((tx) => recordUserCounts(tx, [event("owl_anon_early"), event("owl_anon_early")]));
    await claim("owl_anon_early", "early-user");
    expect(await usersOf()).toEqual([
      ["ann", 3, "1.1"],
      ["early-user", 2, "1.0"],
    ]);
  });

  test("a round still open when the claim is made counts under the user once it commits", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let recorded = () => {};
    const inRound = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    const round = pg.atomic(async (tx) => {
      await recordUserCounts(tx, [event("owl_anon_racing")]);
      recorded();
      await held; // the round's transaction is still open
    });
    await inRound;
    try {
      await claim("owl_anon_racing", "racing-user");
    } finally {
      release();
    }
    await round;
    await pg.atomic(foldAllUserCounts);
    expect(await usersOf()).toEqual([
      ["ann", 3, "1.1"],
      ["early-user", 2, "1.0"],
      ["racing-user", 1, "1.0"],
    ]);
  });
});
