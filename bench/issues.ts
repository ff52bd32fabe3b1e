/**
 * Issues at scale (issue 17): groups the stored errors of a generated directory with
 * `roost issues rebuild`'s code (timed), then measures the issues API over HTTP, p50 and p99 ms:
 * the team's list, a project's list by events, a filtered list, an issue's page (occurrences,
 * days, comments) and its newest events through the events API.
 *
 *   bun run bench/generate.ts --data /tmp/roost-10m-err --events 10000000 --error-rate 0.05
 *   bun run bench/issues.ts --data /tmp/roost-10m-err [--runs 20] [--state compacted] [--keep]
 *
 * `--state compacted` seals and compacts first (a generated directory is sealed already).
 */
import { parseArgs } from "../src/cli/args";
import { createLogger } from "../src/lib/log";
import { rebuildIssues } from "../src/modules/issues/rebuild";
import { Store } from "../src/store/db";
import { Lake } from "../src/store/lake";
import { migrate } from "../src/store/migrations";
import { startServer, stopServer } from "../tests/support/server";
import { measurer, timedGet } from "./http";
import { benchAgentKey } from "./keys";

const { flags } = parseArgs(process.argv.slice(2));
const dataDir = String(flags.data ?? "");
const runs = Number(flags.runs ?? 20);
const WARM = 5;
if (!dataDir) throw new Error("--data <dir> is required (bench/generate.ts --error-rate 0.05 makes one)");

const store = await Store.open(dataDir, { threads: 2, memoryLimit: "4GB", readers: 1 });
let key: string;
let rebuild: Awaited<ReturnType<typeof rebuildIssues>>;
try {
  await migrate(store);
  if (flags.state === "compacted") {
    const lake = new Lake(store, dataDir, createLogger("silent"));
    await lake.seal(new Date(Date.now() + 1000));
    await lake.compact(new Date(Date.now() + 3_600_000));
  }
  // `--keep`: measure the issues a previous run grouped (the rebuild takes minutes at 10M).
  rebuild = flags.keep
    ? { projects: 0, errors: 0, issues: 0, ms: 0 }
    : await rebuildIssues(store, dataDir, createLogger("silent"));
  key = await benchAgentKey(store, "bench issues");
} finally {
  await store.close();
}
console.error(`rebuild: ${JSON.stringify(rebuild)}`);

const server = await startServer(dataDir, {
  ROOST_LOG_LEVEL: "silent",
  ROOST_EVENTS_RATE_BURST: "1000000",
  ROOST_EVENTS_RATE_PER_SECOND: "1000000",
  ROOST_STORAGE_SCHEDULE: "0 0 1 1 *",
});
const get = timedGet(server.base, key);
const measure = measurer(get, runs, WARM);

const top = (await get("/v1/issues?limit=50&sort=events")).body.issues as any[];
const projectId = top[0].project_id as string;
const ids = top.filter((i) => i.project_id === projectId).map((i) => i.id as string);
const results: Record<string, unknown> = {};
results.team_list = await measure(() => "/v1/issues?limit=50");
results.project_list_by_events = await measure(() => `/v1/projects/${projectId}/issues?limit=50&sort=events`);
results.project_list_filtered = await measure(
  () => `/v1/projects/${projectId}/issues?limit=50&status=new&app_id=${top[0].app_id}&since=30d`,
);
let cursor = "";
for (let page = 0; page < 5; page++) {
  cursor = (await get(`/v1/projects/${projectId}/issues?limit=10${cursor ? `&cursor=${cursor}` : ""}`)).body
    .cursor;
}
results.list_sixth_page = await measure(() => `/v1/projects/${projectId}/issues?limit=10&cursor=${cursor}`);
results.issue_page = await measure((i) => `/v1/projects/${projectId}/issues/${ids[i % ids.length]}`);
results.issue_events_page = await measure(
  (i) => `/v1/events?issue_id=${ids[i % ids.length]}&limit=50&data_mode=all`,
);
const rss = Number(
  /VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${server.child.pid}/status`).text())?.[1] ?? 0,
);
await stopServer(server);
console.log(
  JSON.stringify(
    {
      benchmark: "issues",
      runs,
      rebuild,
      issues_total: top.length,
      top_issue_events: top[0].event_count,
      server_rss_mb: Math.round(rss / 1024),
      results,
    },
    null,
    2,
  ),
);
