import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createApp } from "../../src/app";
import { createClusterApp } from "../../src/cluster/app";
import { testConfig } from "../../src/config";
import { createLogger } from "../../src/lib/log";
import { ClickHouse } from "../../src/store/clickhouse/client";
import { Store } from "../../src/store/db";
import { migrate } from "../../src/store/migrations";
import { PgStore } from "../../src/store/postgres/db";
import { tempDir } from "../support/server";
import { requireCluster } from "./nodes";

/**
 * No feature is the embedded store's only by accident (decision 017): a cluster node mounts every
 * route one Roost does, with the same method and path.
 */
requireCluster();
const dir = tempDir("roost-routes-");
const log = createLogger("silent", () => {});
const config = testConfig(dir);
const store = await Store.open(dir, config.duckdb);
const pg = await PgStore.open(process.env.ROOST_DATABASE_URL as string, dir, 2);
const ch = new ClickHouse({
  url: process.env.ROOST_CLICKHOUSE_URL as string,
  shards: (process.env.ROOST_CLICKHOUSE_SHARDS as string).split(","),
  cluster: process.env.ROOST_CLICKHOUSE_CLUSTER ?? "roost",
});
afterAll(async () => {
  await Promise.all([store.close(), pg.close(), ch.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const routesOf = (app: { routes: ReadonlyArray<{ method: string; path: string }> }) =>
  app.routes.map((r) => `${r.method} ${r.path}`).sort();

describe("routes", () => {
  test("a cluster node mounts every route of one Roost", async () => {
    await migrate(store);
    const embedded = await createApp(config, { store, log });
    await embedded.services.grouper?.stop();
    await embedded.services.notifications?.stop();
    const cluster = await createClusterApp(
      { ...config, sharedAttachmentsDir: process.env.ROOST_ATTACHMENTS_DIR as string },
      { pg, ch, log },
    );
    const mine = routesOf(embedded.app);
    expect(mine.length).toBeGreaterThan(100);
    expect(routesOf(cluster.app)).toEqual(mine);
  });
});
