import type { Config } from "../config";
import type { Logger } from "../lib/log";
import { IdentityClaims } from "../modules/identity/claims";
import { loadClaims } from "../modules/identity/repository";
import { type RebuildReport, rebuildIssuesFrom } from "../modules/issues/rebuild";
import { projectErrors } from "../modules/issues/repository.cluster";
import { ClickHouse } from "../store/clickhouse/client";
import { PgStore } from "../store/postgres/db";
import { bumpClusterVersion } from "../store/postgres/settings";

/**
 * `roost issues rebuild` on a cluster (decision 017), with the nodes running: the embedded
 * rebuild's code over every error ClickHouse holds, users resolved through the claims, in one
 * transaction under the cluster's write lock (the grouping node's rounds wait for it). The same
 * transaction moves the grouping memory's counter, so the grouping node reloads its memory before
 * its next round; errors it reads after the rebuild are in the index already, and skipped.
 */
export async function rebuildClusterIssues(config: Config, log: Logger): Promise<RebuildReport> {
  if (!config.clickhouse || !config.databaseUrl) throw new Error("ROOST_STORE=clickhouse needs its URLs");
  const pg = await PgStore.open(config.databaseUrl, config.dataDir, 2);
  const ch = new ClickHouse(config.clickhouse);
  try {
    const claims = new IdentityClaims();
    claims.replace(await loadClaims(pg));
    return await rebuildIssuesFrom(
      pg,
      {
        errorsOf: async (_tx, projectId) =>
          (await projectErrors(ch, projectId)).map((e) =>
            e.userId ? { ...e, userId: claims.resolve(projectId, e.userId) } : e,
          ),
        rebuilt: (tx) => bumpClusterVersion(tx, "issue_memory"),
      },
      log,
    );
  } finally {
    await Promise.all([pg.close(), ch.close()]);
  }
}
