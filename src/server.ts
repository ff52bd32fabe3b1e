import { createApp } from "./app";
import { firstRun, firstRunMessage } from "./bootstrap";
import type { Config } from "./config";
import { serveControl } from "./control";
import { loadDemo } from "./demo/load";
import { createLogger } from "./lib/log";
import { purgeAttachments } from "./modules/attachments/purge";
import { shutDown } from "./shutdown";
import { backup } from "./store/backup";
import { BlobStore } from "./store/blobs";
import { Store } from "./store/db";
import { StorageJob } from "./store/jobs";
import { openLake } from "./store/lake";
import { migrate } from "./store/migrations";

const LAST_USED_FLUSH_MS = 30_000;

/**
 * `roost serve`: open the data directory, migrate, set up a first team on an empty directory,
 * listen, and on SIGINT/SIGTERM shut down in order within the configured deadline.
 */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  const opened = performance.now();
  const store = await Store.open(config.dataDir, config.duckdb);
  const applied = await migrate(store);
  log.info("store open", {
    dir: config.dataDir,
    migrations_applied: applied.length,
    ms: Math.round(performance.now() - opened),
  });
  const lake = openLake(store, config, log);
  await lake.recover();
  const run = await firstRun(store, config);
  if (config.demo) {
    const report = await loadDemo(store, BlobStore.of(config.dataDir));
    if (report)
      log.info("demo loaded", {
        team: report.team,
        events: report.events,
        attachments: report.attachments,
        ms: report.ms,
      });
  }
  const { app, services } = await createApp(config, { store, log });
  // The credentials go out before the port opens, so whoever sees /health answer can read them.
  if (run) console.log(firstRunMessage(run, `http://${config.host}:${config.port}`));
  // Bun's default cap on a request body is 128 MiB; attachments stream, so the cap follows their limit.
  app.listen({
    hostname: config.host,
    port: config.port,
    maxRequestBodySize: Math.max(config.attachments.maxFileBytes, 128 * 1024 * 1024) + 1024 * 1024,
    // Elysia asks for SO_REUSEPORT by default: a second server on the same port would then share
    // its traffic silently instead of failing to start.
    reusePort: false,
    development: false,
  });
  const control = serveControl(
    config.dataDir,
    (dir) => backup(store, config.dataDir, dir, config.version),
    log,
  );
  const url = `http://${config.host}:${app.server?.port ?? config.port}`;
  log.info("listening", { url, version: config.version, docs: `${url}/docs` });

  const blobs = BlobStore.of(config.dataDir);
  const storage = new StorageJob(store, lake, log, {
    ...config.storage,
    purgeAttachments: (now) => purgeAttachments(store, blobs, now),
  });
  storage.watch((report) => services.monitoring.storageRun(report));
  storage.schedule(config.storage.schedule);

  const flush = setInterval(() => {
    services.auth.flushLastUsed().catch((e) => log.error("last_used_at flush failed", { error: String(e) }));
  }, LAST_USED_FLUSH_MS);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, deadline_ms: config.shutdownDeadlineMs });
    const deadline = setTimeout(() => {
      log.error("shutdown deadline passed; exiting now", { deadline_ms: config.shutdownDeadlineMs });
      process.exit(1);
    }, config.shutdownDeadlineMs);
    clearInterval(flush);
    const clean = await shutDown(
      {
        stopAccepting: async () => {
          control.stop();
          await app.stop();
        },
        drainWrites: async () => {
          // A round in flight finishes; errors still waiting are grouped after the restart.
          await services.grouper.stop();
          await services.notifications.stop();
          await services.writer.idle();
        },
        stopJobs: () => storage.stop(),
        flushLastUsed: () => services.auth.flushLastUsed(),
        closeStore: () => store.close(),
      },
      log,
    );
    clearTimeout(deadline);
    log.info("stopped", { clean });
    process.exit(clean ? 0 : 1);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
