/**
 * Storage job benchmark (performance.md: "a seal + compact run over one hour of ingest ≤ 10% of
 * one core averaged over the hour"). Simulates one hour of ingest at --rate events/s as twelve
 * five-minute slices (the default schedule): each slice is appended to the hot table straight
 * through SQL (ingest is not what is measured), then the storage work of a scheduled run runs on
 * it: seal, compact, deleting retired files, checkpoint. Prints the CPU time that work took (all
 * threads, from process.cpuUsage) as JSON.
 *
 *   bun run bench/storage.ts [--rate 1000] [--data /tmp/roost-storage]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstRun } from "../src/bootstrap";
import { parseArgs } from "../src/cli/args";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/lib/log";
import { Store } from "../src/store/db";
import { Lake } from "../src/store/lake";
import { migrate } from "../src/store/migrations";
import { createBenchApps } from "./apps";

const { flags } = parseArgs(process.argv.slice(2));
const rate = Number(flags.rate ?? 1000);
const dataDir = typeof flags.data === "string" ? flags.data : mkdtempSync(join(tmpdir(), "roost-storage-"));
const SLICES = 12;
const SLICE_MS = 300_000;
const HOUR = Date.parse("2026-10-01T10:00:00Z");

const config = loadConfig({ data: dataDir }, { ROOST_ADMIN_PASSWORD: "bench-password" });
const store = await Store.open(config.dataDir, config.duckdb);
await migrate(store);
await firstRun(store, config);
const apps = await createBenchApps(store);
const lake = new Lake(store, dataDir, createLogger("silent"));

const perSlice = Math.round((rate * SLICE_MS) / 1000);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let storageCpuMs = 0;
let storageWallMs = 0;
const runs: { sealed: number; compacted_rows: number; cpu_ms: number; ms: number }[] = [];
for (let slice = 0; slice < SLICES; slice++) {
  const from = HOUR + slice * SLICE_MS;
  // Events received during the slice, timestamped up to a few seconds earlier.
  await store.write((tx) =>
    tx.run(
      `INSERT INTO events
       SELECT uuidv7(), a.app_id, a.project_id, 'ce-' || ?::BIGINT || '-' || i, 'session-' || (i // 40),
         'user-' || (hash(i) % 5000), NULL, CASE WHEN i % 50 = 0 THEN 'error' ELSE 'info' END, 'Module',
         'screen_viewed', 'Home', '{"plan":"pro"}', NULL, 'backend', 'linux', '1.2.0', 'owlmetry-node',
         '0.4.2', '120', 'server', 'en_US', 'DE', false,
         make_timestamptz((?::BIGINT + (i * ?::DOUBLE)::BIGINT - 2000) * 1000),
         make_timestamptz((?::BIGINT + (i * ?::DOUBLE)::BIGINT) * 1000)
       FROM range(?::BIGINT) t(i),
         (SELECT unnest(?::JSON::VARCHAR[])::UUID AS app_id, unnest(?::JSON::VARCHAR[])::UUID AS project_id) a
       WHERE hash(i, a.app_id) % 20 = 0`,
      [
        slice,
        from,
        SLICE_MS / perSlice,
        from,
        SLICE_MS / perSlice,
        perSlice,
        apps.map((a) => a.id),
        apps.map((a) => a.projectId),
      ],
    ),
  );
  const cpu0 = cpu();
  const wall0 = performance.now();
  const sealed = await lake.seal(new Date(from + SLICE_MS));
  const compacted = await lake.compact(new Date(from + SLICE_MS));
  await lake.purgeRetired(0);
  await store.checkpoint();
  const cpuMs = cpu() - cpu0;
  const ms = performance.now() - wall0;
  storageCpuMs += cpuMs;
  storageWallMs += ms;
  runs.push({
    sealed: sealed.rows,
    compacted_rows: compacted.rows,
    cpu_ms: Math.round(cpuMs),
    ms: Math.round(ms),
  });
}
const events = (await store.read<{ n: number }>("SELECT sum(row_count)::BIGINT AS n FROM lake_files"))[0]!.n;
await store.close();
if (typeof flags.data !== "string") rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      benchmark: "storage",
      rate_events_per_s: rate,
      events_in_hour: events,
      storage_cpu_s: Math.round(storageCpuMs) / 1000,
      storage_wall_s: Math.round(storageWallMs) / 1000,
      share_of_one_core: Math.round((storageCpuMs / 3_600_000) * 10000) / 100,
      runs,
    },
    null,
    2,
  ),
);
