import { afterAll, describe, expect, test } from "bun:test";
import { clusterClaimEvents } from "../../src/modules/identity/repository.cluster";
import type { StoredEvent } from "../../src/modules/pipeline/event";
import { countUsers } from "../../src/modules/pipeline/repository.cluster";
import { ClickHouse } from "../../src/store/clickhouse/client";
import { PgStore } from "../../src/store/postgres/db";
import { tempDir } from "../support/server";
import { requireCluster } from "./nodes";

/**
 * A round counts its events' users into PostgreSQL (decision 017) under the claims as they stand
 * then, not as its node last loaded them; a claim and a round on one anonymous id take turns.
 */
requireCluster();
const pg = await PgStore.open(process.env.ROOST_DATABASE_URL as string, tempDir("roost-users-"), 4);
const ch = new ClickHouse({ url: process.env.ROOST_CLICKHOUSE_URL as string, shards: [], cluster: "roost" });
afterAll(() => Promise.all([pg.close(), ch.close()]));

const projectId = crypto.randomUUID();
const appId = crypto.randomUUID();
let seq = 0;
const event = (userId: string): StoredEvent => ({
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
});

const usersOf = async () =>
  (
    await pg.read<{ user_id: string; event_count: string }>(
      "SELECT user_id, event_count FROM app_users WHERE project_id = ?::UUID ORDER BY user_id",
      [projectId],
    )
  ).map((r) => [r.user_id, Number(r.event_count)]);

describe("users counted by a cluster's rounds", () => {
  test("a claim the node has not loaded is found when the round counts", async () => {
    const claim = { projectId, anonymousId: "owl_anon_unseen", userId: "seen-user" };
    await pg.shared.run(async () => (tx) => clusterClaimEvents(ch).record(tx, claim, appId, new Date()));
    await pg.atomic((tx) => countUsers(tx, [event("owl_anon_unseen"), event("owl_anon_unseen")]));
    expect(await usersOf()).toEqual([["seen-user", 2]]);
  });

  test("a claim made while a round counts its id waits for it, then folds what it counted", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let counted = () => {};
    const inRound = new Promise<void>((resolve) => {
      counted = resolve;
    });
    const round = pg.atomic(async (tx) => {
      await countUsers(tx, [event("owl_anon_racing")]);
      counted();
      await held; // the round's transaction is still open
    });
    await inRound;
    let claimed = false;
    const claim = { projectId, anonymousId: "owl_anon_racing", userId: "racing-user" };
    const claiming = pg.shared
      .run(async () => (tx) => clusterClaimEvents(ch).record(tx, claim, appId, new Date()))
      .then(() => {
        claimed = true;
      });
    try {
      await Bun.sleep(300);
      expect(claimed).toBe(false);
    } finally {
      release();
    }
    await round;
    await claiming;
    expect(claimed).toBe(true);
    expect(await usersOf()).toEqual([
      ["racing-user", 1],
      ["seen-user", 2],
    ]);
  });
});
