import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../../store/db";
import type { StorageReport } from "../../store/jobs";
import type { OutcomeRow } from "../pipeline/tally";
import { storeGauges } from "./repository";

/**
 * Roost's Prometheus metrics (prom-client, the exposition format's reference library for Node):
 * requests by route and status, outcomes as committed, the writer's queue and commits, the hot
 * table and the lake, the storage job's last run per step, DuckDB's memory, and the process's
 * own (RSS, heap, event loop) from prom-client's defaults.
 */
export class Monitoring {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly outcomes: Counter;
  private readonly commits: Histogram;
  private readonly storageSteps: Gauge;
  private readonly storageRuns: Counter;
  private readonly storageLast: Gauge;
  private readonly uploaded: Counter;
  private readonly uploadFailed: Gauge;
  private readonly cachedBytes: Gauge;

  /** `store`: the embedded store, whose sizes are gauges; null on a cluster node (decision 017). */
  constructor(store: Store | null, queueDepth: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "roost_http_requests_total",
      help: "HTTP requests answered, by method, route (as declared, not the raw path) and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.latency = new Histogram({
      name: "roost_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method, route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.outcomes = new Counter({
      name: "roost_outcomes_total",
      help: "Items counted as they were committed, by outcome (accepted, filtered, rate_limited, invalid, abuse, client_discard) and category",
      labelNames: ["outcome", "category"],
      registers,
    });
    this.commits = new Histogram({
      name: "roost_commit_duration_seconds",
      help: "Time of the writer's group commits (events, keys, outcomes and what joins them)",
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    new Gauge({
      name: "roost_write_queue_events",
      help: "Events waiting for the writer",
      registers,
      collect() {
        this.set(queueDepth());
      },
    });
    this.storageSteps = new Gauge({
      name: "roost_storage_step_seconds",
      help: "The storage job's last run, per step (rollup, seal, users, compact, upload) and in all (total)",
      labelNames: ["step"],
      registers,
    });
    this.storageRuns = new Counter({
      name: "roost_storage_runs_total",
      help: "Storage job runs, by whether the closing checkpoint was done or deferred",
      labelNames: ["checkpoint"],
      registers,
    });
    this.storageLast = new Gauge({
      name: "roost_storage_last_run_timestamp_seconds",
      help: "When the storage job last finished a run (Unix time)",
      registers,
    });
    this.uploaded = new Counter({
      name: "roost_lake_uploaded_files_total",
      help: "Lake files copied to object storage (ROOST_LAKE_URL)",
      registers,
    });
    this.uploadFailed = new Gauge({
      name: "roost_lake_upload_failed_files",
      help: "Lake files the storage job's last run could not upload to object storage (retried next run)",
      registers,
    });
    this.cachedBytes = new Gauge({
      name: "roost_lake_cached_bytes",
      help: "Bytes of lake files on local disk after the last run's cache trim (with object storage)",
      registers,
    });
    if (store) embeddedStoreGauges(store, registers);
  }
  /** On a cluster node: whether it is the one grouping errors into issues (cluster/issue-feed.ts). */
  watchGrouping(grouping: () => boolean): void {
    new Gauge({
      name: "roost_issue_grouping",
      help: "1 on the cluster node that groups errors into issues (the lock holder), else 0",
      registers: [this.registry],
      collect() {
        this.set(grouping() ? 1 : 0);
      },
    });
  }

  /** One answered request; `route` is the route's declared path (a bounded set). */
  request(method: string, route: string, status: number, ms: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, ms / 1000);
  }

  /** One commit of the writer, with the outcomes it stored. */
  committed(outcomes: readonly OutcomeRow[], ms: number): void {
    for (const o of outcomes) this.outcomes.inc({ outcome: o.outcome, category: o.category }, o.quantity);
    this.commits.observe(ms / 1000);
  }

  storageRun(report: StorageReport): void {
    const steps: Record<string, number> = {
      rollup: report.rolledUp.ms,
      seal: report.sealed.ms,
      users: report.usersCounted.ms,
      compact: report.compacted.ms,
      upload: report.uploaded.ms,
      total: report.ms,
    };
    for (const [step, ms] of Object.entries(steps)) this.storageSteps.set({ step }, ms / 1000);
    this.uploaded.inc(report.uploaded.files);
    this.uploadFailed.set(report.uploaded.failed);
    this.cachedBytes.set(report.evicted.cachedBytes);
    this.storageRuns.inc({ checkpoint: report.checkpointed ? "done" : "deferred" });
    this.storageLast.set(Date.now() / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The embedded store's sizes: hot rows, the lake's live files and bytes, DuckDB's memory. */
function embeddedStoreGauges(store: Store, registers: Registry[]): void {
  // The store's sizes, read once per scrape by the first gauge and handed to the others.
  let sizes: Promise<Awaited<ReturnType<typeof storeGauges>>> | null = null;
  const read = () => {
    sizes ??= store.snapshot((tx) => storeGauges(tx)).finally(() => setTimeout(() => (sizes = null), 0));
    return sizes;
  };
  const fromStore = (
    name: string,
    help: string,
    pick: (s: Awaited<ReturnType<typeof storeGauges>>) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(pick(await read()));
      },
    });
  fromStore("roost_hot_rows", "Events in the hot table, not yet sealed into the lake", (s) => s.hot);
  fromStore("roost_lake_files", "Live Parquet files of events in the lake", (s) => s.files);
  fromStore("roost_lake_bytes", "Bytes of the lake's live event files", (s) => s.bytes);
  new Gauge({
    name: "roost_duckdb_memory_bytes",
    help: "DuckDB's memory in use, by what it holds (duckdb_memory())",
    labelNames: ["tag"],
    registers,
    async collect() {
      this.reset();
      for (const m of (await read()).memory) this.set({ tag: m.tag.toLowerCase() }, Number(m.bytes));
    },
  });
}
