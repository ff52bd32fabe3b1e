import { badRequest } from "../../lib/errors";
import type { Database } from "../../store/db";
import { type Caller, teamsWith } from "../access/caller";
import { OutcomeTally } from "../pipeline/tally";
import { outcomesOnly, type Writer } from "../pipeline/write-queue";
import type { OutcomeInput } from "./model";
import { liveProjectsOf } from "./repository";

/** Outcome rows recorded as given: backfills, and relays that count outcomes themselves. */
export class OutcomesService {
  constructor(
    private readonly store: Database,
    private readonly writer: Writer,
  ) {}

  async record(caller: Caller, rows: readonly OutcomeInput[]): Promise<{ recorded: number }> {
    const projects = await liveProjectsOf(
      this.store,
      [...new Set(rows.map((r) => r.project_id))],
      teamsWith(caller, "org:admin"),
    );
    const tally = new OutcomeTally();
    rows.forEach((row, index) => {
      const at = Date.parse(row.timestamp);
      if (Number.isNaN(at)) throw badRequest(`outcomes.${index}.timestamp must be an ISO-8601 date`);
      if (!projects.has(row.project_id))
        throw badRequest(`outcomes.${index}.project_id is not a project of your team`);
      tally.add({
        projectId: row.project_id,
        keyId: row.key_id ?? null,
        at,
        outcome: row.outcome,
        reason: row.reason ?? null,
        category: row.category,
        quantity: row.quantity ?? 1,
        timesSeen: row.times_seen ?? 1,
      });
    });
    await this.writer.submit(outcomesOnly(tally));
    return { recorded: rows.length };
  }
}
