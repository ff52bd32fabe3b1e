import type { Outcome } from "../../lib/vocab";

export interface OutcomeRow {
  projectId: string;
  keyId: string | null;
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  outcome: Outcome;
  reason: string | null;
  category: string;
  quantity: number;
  timesSeen: number;
}

export const minuteOf = (ms: number): number => ms - (ms % 60_000);

/**
 * Outcome counts summed per (project, key, minute, outcome, reason, category), so a request or a
 * whole group commit writes a handful of rows however many items it carried.
 */
export class OutcomeTally {
  private readonly rows = new Map<string, OutcomeRow>();

  add(row: Omit<OutcomeRow, "minute"> & { at: number }): void {
    if (row.quantity === 0 && row.timesSeen === 0) return;
    const minute = minuteOf(row.at);
    const key = `${row.projectId}|${row.keyId}|${minute}|${row.outcome}|${row.reason}|${row.category}`;
    const existing = this.rows.get(key);
    if (existing) {
      existing.quantity += row.quantity;
      existing.timesSeen += row.timesSeen;
    } else {
      const { at: _, ...rest } = row;
      this.rows.set(key, { ...rest, minute });
    }
  }

  /** `n` items of one outcome, each seen once, for a request's project and key at its arrival. */
  count(
    source: { projectId: string; keyId: string | null; receivedAt: number },
    outcome: Outcome,
    reason: string | null,
    category: string,
    n = 1,
  ): void {
    this.add({
      projectId: source.projectId,
      keyId: source.keyId,
      at: source.receivedAt,
      outcome,
      reason,
      category,
      quantity: n,
      timesSeen: n,
    });
  }

  merge(other: OutcomeTally): void {
    for (const row of other.list()) this.add({ ...row, at: row.minute });
  }

  list(): OutcomeRow[] {
    return [...this.rows.values()];
  }

  get size(): number {
    return this.rows.size;
  }
}
