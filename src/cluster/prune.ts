import { Cron } from "croner";
import type { Logger } from "../lib/log";
import { pruneBuckets } from "../modules/access/repository.cluster";
import { purgeAttachments } from "../modules/attachments/purge";
import { pruneUsage } from "../modules/ingest/repository.cluster";
import { pruneClaims } from "../modules/pipeline/repository.cluster";
import type { BlobStore } from "../store/blobs";
import type { PgStore } from "../store/postgres/db";

/**
 * The shared rows that only grow: dedup claims past their window, quota windows and rate buckets
 * long over. Every node runs it hourly (the deletes are the same whoever runs them); one line a run.
 */
export async function pruneShared(pg: PgStore, log: Logger): Promise<number> {
  const started = performance.now();
  const claims = await pg.atomic(async (tx) => {
    const n = await pruneClaims(tx);
    await pruneUsage(tx);
    await pruneBuckets(tx);
    return n;
  });
  log.info("shared rows pruned", { claims, ms: Math.round(performance.now() - started) });
  return claims;
}

export function schedulePrune(pg: PgStore, blobs: BlobStore, log: Logger): Cron {
  return new Cron("17 * * * *", { protect: true, name: "prune" }, async () => {
    await pruneShared(pg, log).catch((error) =>
      log.error("pruning shared rows failed", { error: String(error) }),
    );
    // The storage job's attachment step, which a cluster has no other job to run.
    const started = performance.now();
    await purgeAttachments(pg, blobs)
      .then((purged) =>
        log.info("attachments purged", { ...purged, ms: Math.round(performance.now() - started) }),
      )
      .catch((error) => log.error("purging attachments failed", { error: String(error) }));
  });
}
