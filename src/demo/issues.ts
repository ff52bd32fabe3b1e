import { errorOf, loadMemory } from "../modules/issues/grouper";
import { groupInOrder } from "../modules/issues/rebuild";
import { applyTransitions, listIssues, setStatus } from "../modules/issues/repository";
import type { StoredEvent } from "../modules/pipeline/event";
import type { WriteTx } from "../store/db";

/**
 * The demo's errors grouped into issues as the live rounds would, then a few issues put in each
 * state a team meets: in progress, resolved in a version, regressed, snoozed, silenced; the rest new.
 */
export async function groupDemoIssues(
  tx: WriteTx,
  events: readonly StoredEvent[],
  projectIds: readonly string[],
  now: Date,
): Promise<number> {
  const ordered = [...events].sort(
    (a, b) =>
      a.receivedAt - b.receivedAt || a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const errors = ordered.map((e) => errorOf(e)).filter((e) => e !== null);
  await groupInOrder(tx, await loadMemory(tx), errors, now);
  const top = await listIssues(tx, { projectIds, isDev: false, sort: "events", limit: 12 });
  const set = (i: number, status: string, extra: { version?: string; until?: Date } = {}) => {
    const issue = top[i];
    if (!issue) return;
    return setStatus(
      tx,
      issue.id,
      {
        status,
        resolvedAtVersion: extra.version ?? null,
        snoozedAt: status === "snoozed" ? now : null,
        snoozeUntil: extra.until ?? null,
        snoozeCount: null,
      },
      now,
    );
  };
  await set(1, "in_progress");
  await set(3, "resolved", { version: "2.4.0" });
  await set(4, "resolved", { version: "2.3.0" });
  await set(6, "snoozed", { until: new Date(now.getTime() + 7 * 86_400_000) });
  await set(8, "silenced");
  const regressed = top[4];
  if (regressed) await applyTransitions(tx, [{ id: regressed.id, status: "regressed" }], now);
  return top.length;
}
