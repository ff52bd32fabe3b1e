import { firstRun, firstRunMessage } from "../bootstrap";
import type { Config } from "../config";
import { createLogger } from "../lib/log";
import { ClickHouse } from "../store/clickhouse/client";
import { migrateEventStore } from "../store/clickhouse/migrations";
import { migrate } from "../store/migrations";
import { PgStore } from "../store/postgres/db";
import { controlPlane } from "../store/postgres/schema";
import { createClusterApp } from "./app";
import { schedulePrune } from "./prune";

/**
 * `roost serve` with ROOST_STORE=clickhouse: a stateless node. Migrations of both stores run under
 * a cluster-wide lock; the first node on an empty control plane sets up the first team (and prints
 * its keys once, as a single Roost does); SIGTERM stops accepting, finishes the writes in flight
 * and closes the connections.
 */
export async function serveCluster(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  if (!config.clickhouse || !config.databaseUrl) throw new Error("ROOST_STORE=clickhouse needs its URLs");
  const opened = performance.now();
  const pg = await PgStore.open(config.databaseUrl, config.dataDir);
  const ch = new ClickHouse(config.clickhouse);
  const migrated = await pg.exclusive(async () => ({
    control: (await migrate(pg, controlPlane)).length,
    events: await migrateEventStore(ch, log),
  }));
  log.info("cluster stores open", {
    shards: config.clickhouse.shards.length,
    control_migrations: migrated.control,
    event_migrations: migrated.events,
    ms: Math.round(performance.now() - opened),
  });
  const run = await firstRun(pg, config);
  const { app, services, blobs, issueFeed, userCounts } = await createClusterApp(config, { pg, ch, log });
  if (run) console.log(firstRunMessage(run, `http://${config.host}:${config.port}`));
  app.listen({ hostname: config.host, port: config.port, reusePort: false, development: false });
  const prune = schedulePrune(pg, blobs, log);
  issueFeed.start();
  userCounts.start();
  log.info("listening", {
    url: `http://${config.host}:${app.server?.port ?? config.port}`,
    store: "clickhouse",
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    const deadline = setTimeout(() => process.exit(1), config.shutdownDeadlineMs);
    prune.stop();
    await issueFeed.stop();
    await app.stop();
    await services.writer.idle();
    await userCounts.stop();
    await Promise.all([pg.close(), ch.close()]);
    clearTimeout(deadline);
    log.info("stopped", { clean: true });
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
