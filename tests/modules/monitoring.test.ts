import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { StorageJob } from "../../src/store/jobs";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

/** GET /metrics: Prometheus' text format, only with ROOST_METRICS_TOKEN, numbers that move with the work. */
let roost: Roost;
let t: Tenant;
const TOKEN = "metrics-secret-token-123";
beforeAll(async () => {
  roost = await startRoost({ metricsToken: TOKEN });
  t = await roost.tenant("Mon");
});
afterAll(() => roost.close());

async function scrape(): Promise<Map<string, number>> {
  // A request is counted after its answer is sent (Elysia's afterResponse): let those run first.
  await Bun.sleep(20);
  const r = await roost.call("GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const values = new Map<string, number>();
  for (const line of r.text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}
const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

describe("GET /metrics", () => {
  test("requests, outcomes, commits, hot rows, the lake and the storage job move with the work", async () => {
    const before = await scrape();
    const events = Array.from({ length: 7 }, (_, i) => ({
      client_event_id: `m-${i}`,
      session_id: "s",
      level: "info",
      message: "hello",
      environment: "ios",
    }));
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, events },
    });
    expect(r.body.accepted).toBe(7);
    const dup = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, events: events.slice(0, 2) },
    });
    expect(dup.body.duplicates).toBe(2);
    const after = await scrape();

    const accepted = 'roost_outcomes_total{outcome="accepted",category="default"}';
    expect(value(after, accepted) - value(before, accepted)).toBe(7);
    const invalid = 'roost_outcomes_total{outcome="invalid",category="default"}';
    expect(value(after, invalid) - value(before, invalid)).toBe(2);
    const ingested = 'roost_http_requests_total{method="POST",route="/v1/ingest",status="200"}';
    expect(value(after, ingested) - value(before, ingested)).toBe(2);
    const scrapes = 'roost_http_requests_total{method="GET",route="/metrics",status="200"}';
    expect(value(after, scrapes) - value(before, scrapes)).toBe(1);
    expect(value(after, "roost_commit_duration_seconds_count")).toBeGreaterThan(
      value(before, "roost_commit_duration_seconds_count"),
    );
    expect(value(after, "roost_hot_rows")).toBe(value(before, "roost_hot_rows") + 7);
    expect(value(after, "roost_write_queue_events")).toBe(0);
    expect(value(after, "process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect([...after.keys()].some((k) => k.startsWith("roost_duckdb_memory_bytes{tag="))).toBe(true);

    // A storage run seals the hot rows into the lake and reports its steps.
    const log = createLogger("silent");
    const job = new StorageJob(roost.store, new Lake(roost.store, roost.dir, log), log, {
      sealGraceMs: -1000,
      retiredGraceMs: 600_000,
    });
    job.watch((report) => roost.services.monitoring.storageRun(report));
    await job.run();
    const sealed = await scrape();
    expect(value(sealed, "roost_hot_rows")).toBe(0);
    expect(value(sealed, "roost_lake_files")).toBeGreaterThan(0);
    expect(value(sealed, "roost_lake_bytes")).toBeGreaterThan(0);
    expect(value(sealed, 'roost_storage_step_seconds{step="total"}')).toBeGreaterThan(0);
    expect(value(sealed, "roost_storage_last_run_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  test("a route is labelled as declared, not by its raw path", async () => {
    await roost.call("GET", `/v1/projects/${t.project.id}/issues`, { token: t.token });
    const m = await scrape();
    expect(
      value(m, 'roost_http_requests_total{method="GET",route="/v1/projects/:id/issues",status="200"}'),
    ).toBe(1);
    expect([...m.keys()].some((k) => k.includes(t.project.id))).toBe(false);
  });

  test("without the token 401, with a wrong one 401; no secret in the metrics", async () => {
    expect((await roost.call("GET", "/metrics")).status).toBe(401);
    const wrong = await roost.call("GET", "/metrics", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("Missing or invalid metrics token");
    const text = (await roost.call("GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }))
      .text;
    for (const secret of [TOKEN, t.clientKey, t.adminKey, t.token]) expect(text.includes(secret)).toBe(false);
  });

  test("off unless ROOST_METRICS_TOKEN is set: 404", async () => {
    const plain = await startRoost();
    try {
      const r = await plain.call("GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
