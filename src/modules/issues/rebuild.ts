import type { Logger } from "../../lib/log";
import type { Database, Tx, WriteTx } from "../../store/db";
import { loadMemory, storedErrorOf } from "./grouper";
import type { ErrorOccurrence, IssueMemory } from "./grouping";
import {
  clearForRebuild,
  countIssues,
  keptStates,
  liveProjects,
  restoreStates,
  type StoredError,
  storedErrors,
} from "./repository";
import { writeRound } from "./round";

const CHUNK = 5_000;

/** Groups errors (in grouping's order already) as the live rounds would; returns how many. */
export async function groupInOrder(
  tx: WriteTx,
  memory: IssueMemory,
  errors: readonly ErrorOccurrence[],
  now: Date,
): Promise<number> {
  for (let i = 0; i < errors.length; i += CHUNK) {
    const chunk = errors.slice(i, i + CHUNK);
    const round = memory.group(chunk);
    await writeRound(tx, chunk, round, now);
    round.commit();
  }
  return errors.length;
}

export interface RebuildReport {
  projects: number;
  errors: number;
  issues: number;
  ms: number;
}

/** Where a rebuild reads the stored errors, and what else it does in its transaction. */
export interface RebuildSource {
  /** A project's stored errors, in grouping's order, users resolved through their claims. */
  errorsOf(tx: Tx, projectId: string): Promise<StoredError[]>;
  /** Last, in the rebuild's transaction (a cluster's grouping node reloads its memory). */
  rebuilt?(tx: WriteTx): Promise<void>;
}

/**
 * `roost issues rebuild`: every issue recomputed from the stored errors by the live rounds' code,
 * in their order, in one transaction (decision 011). What people set (status, fix version, snooze,
 * comments, merges) stays with the issues that come back, and every issue keeps its number.
 * Issues whose errors have all expired are kept as they are: nothing is left to recount.
 */
export function rebuildIssues(store: Pick<Database, "write">, dataDir: string, log: Logger) {
  return rebuildIssuesFrom(store, { errorsOf: (tx, projectId) => storedErrors(tx, dataDir, projectId) }, log);
}

/** rebuildIssues over any store of errors: the embedded lake, or a cluster's ClickHouse. */
export async function rebuildIssuesFrom(
  store: Pick<Database, "write">,
  source: RebuildSource,
  log: Logger,
): Promise<RebuildReport> {
  const started = performance.now();
  const report = await store.write(async (tx) => {
    const kept = await keptStates(tx);
    await clearForRebuild(tx);
    const memory = await loadMemory(tx);
    // New numbers start past every kept one, which come back once the counts are in.
    memory.reserveSeq(Math.max(0, ...kept.map((k) => k.seq)));
    const now = new Date();
    let errors = 0;
    const projects = await liveProjects(tx);
    for (const projectId of projects) {
      const stored = await source.errorsOf(tx, projectId);
      errors += await groupInOrder(
        tx,
        memory,
        stored.map(storedErrorOf).filter((e) => e !== null),
        now,
      );
      if (stored.length > 0) log.info("issues rebuilt", { project: projectId, errors: stored.length });
    }
    await restoreStates(tx, kept);
    await source.rebuilt?.(tx);
    return { projects: projects.length, errors, issues: await countIssues(tx) };
  });
  return { ...report, ms: Math.round(performance.now() - started) };
}
