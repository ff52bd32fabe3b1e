import type { Logger } from "../../lib/log";
import type { Store, WriteTx } from "../../store/db";
import type { StoredEvent } from "../pipeline/event";
import { deriveRows } from "./derive";
import {
  allProjectIds,
  appendMetricRows,
  appendStepRows,
  candidateEvents,
  clearDerived,
  deleteDerivedOf,
  isDerived,
  markDerived,
} from "./repository";

/** The derivations row that says metric_events and funnel_events hold every stored event. */
const DERIVATION = "metrics_funnels";

/**
 * In the commit that stores `events`: their metric and step rows. An import's update replaces its
 * event's rows (the new copy may no longer be a metric, or another one).
 */
export async function deriveOnCommit(
  tx: WriteTx,
  events: readonly StoredEvent[],
  updates: ReadonlySet<StoredEvent>,
): Promise<void> {
  if (updates.size > 0) await deleteDerivedOf(tx, [...updates]);
  const { metrics, steps } = deriveRows(events);
  await appendMetricRows(tx, metrics);
  await appendStepRows(tx, steps);
}

/**
 * Derives every stored event again, in one transaction (a data directory from before metrics, or
 * events written straight into the lake, as bench/generate.ts does). Logs rows and ms.
 */
export async function rebuildDerived(store: Store, log: Logger): Promise<{ metrics: number; steps: number }> {
  const started = performance.now();
  const counts = await store.write(async (tx) => {
    await clearDerived(tx);
    const events = await candidateEvents(tx, store.dataDir, await allProjectIds(tx));
    const { metrics, steps } = deriveRows(events);
    await appendMetricRows(tx, metrics);
    await appendStepRows(tx, steps);
    await markDerived(tx, DERIVATION, new Date());
    return { metrics: metrics.length, steps: steps.length };
  });
  log.info("metric and funnel events derived", { ...counts, ms: Math.round(performance.now() - started) });
  return counts;
}

/** At start, before the first commit: derives the stored events once if nothing has yet. */
export async function ensureDerived(store: Store, log: Logger): Promise<void> {
  if (await store.snapshot((tx) => isDerived(tx, DERIVATION))) return;
  await rebuildDerived(store, log);
}
