import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../cli/args";
import type { Config } from "../config";
import type { Logger } from "../lib/log";
import { ClickHouse } from "../store/clickhouse/client";
import { eventsAsJsonLines } from "../store/clickhouse/export";
import { Store } from "../store/db";
import { writeEventsLayout } from "../store/lake/export";
import { migrate } from "../store/migrations";

const DAY_MS = 86_400_000;

/**
 * `roost export --since … --until … --out <dir>` on a cluster (decision 017): the events stored in
 * ClickHouse in that range, written as the embedded lake's hive-partitioned Parquet
 * (`<dir>/events/project_id=…/date=…/hour=…/*.parquet`), so the analysts' queries keep working. A
 * day at a time, through a scratch DuckDB, with a line per day.
 */
export async function exportEvents(
  config: Config,
  flags: Record<string, string | boolean>,
  log: Logger,
): Promise<string> {
  if (!config.clickhouse)
    throw new UsageError("roost export reads a cluster: set ROOST_STORE=clickhouse and its URLs");
  const since = when(flags.since, "--since");
  const until = when(flags.until, "--until");
  if (until <= since) throw new UsageError("--until must be after --since");
  if (typeof flags.out !== "string") throw new UsageError("--out <dir>: where to write the Parquet files");
  const out = resolve(flags.out);
  const started = performance.now();
  const ch = new ClickHouse(config.clickhouse);
  const scratchDir = mkdtempSync(join(tmpdir(), "roost-export-"));
  const scratch = await Store.open(scratchDir, { threads: 2, memoryLimit: "2GB", readers: 1 });
  let total = 0;
  try {
    await migrate(scratch);
    for (let from = since; from < until; from += DAY_MS) {
      const to = Math.min(from + DAY_MS, until);
      const dayStarted = performance.now();
      const { text, rows } = await eventsAsJsonLines(ch, from, to);
      if (rows === 0) continue;
      const file = join(scratchDir, "day.jsonl");
      await Bun.write(file, text);
      total += await writeEventsLayout(scratch, file, out);
      log.info("export", {
        day: new Date(from).toISOString().slice(0, 10),
        rows,
        ms: Math.round(performance.now() - dayStarted),
      });
    }
  } finally {
    await scratch.close();
    await ch.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
  return `Exported ${total} events to ${join(out, "events")} in ${Math.round(performance.now() - started)} ms.`;
}

function when(value: string | boolean | undefined, flag: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`${flag} <date>: an ISO date or time, such as 2026-11-01`);
  return ms;
}
