import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { pruneShared } from "../../src/cluster/prune";
import { createLogger } from "../../src/lib/log";
import type { PgStore } from "../../src/store/postgres/db";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { ingestLoad, type LoadLedger } from "../support/load";
import { killServersAfterAll, type RunningServer, startServer, stopServer, tempDir } from "../support/server";
import { clusterDir, clusterScript, nodes, onNode, requireCluster } from "./nodes";

/**
 * What a cluster promises across its nodes (decision 017), on the cluster `npm run test:cluster`
 * started: the same event through two nodes is stored once; quotas and the read APIs' rate limits
 * hold across nodes; a session or a revocation on one node holds on the other; a node killed
 * under load loses nothing it acknowledged; a ClickHouse shard down makes writes a 503 that loses
 * nothing, and reads a 503 that names the shard.
 */

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  requireCluster();
  roost = await startRoost();
  t = await roost.tenant("Cluster");
});
afterAll(() => roost.close());

/** A new backend app (no bundle id) in a new project with these settings. */
async function freshApp(project: Record<string, unknown> = {}) {
  const p = await roost.call("POST", "/v1/projects", {
    token: t.token,
    body: { team_id: t.team.id, name: "cluster", ...project },
  });
  const a = await roost.call("POST", "/v1/apps", {
    token: t.token,
    body: { project_id: p.body.id, name: "a", platform: "backend" },
  });
  return {
    projectId: p.body.id as string,
    appId: a.body.id as string,
    key: a.body.client_key.secret as string,
  };
}

const event = (id: string) => ({
  client_event_id: id,
  session_id: "s",
  level: "info",
  message: "m",
  environment: "backend",
});

/** Every client_event_id the events API lists for an app, with repeats. */
async function listedIds(appId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/events?app_id=${appId}&since=2000-01-01&limit=200${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await roost.call("GET", q, { token: t.adminKey });
    expect(r.status).toBe(200);
    ids.push(...r.body.events.map((e: { client_event_id: string }) => e.client_event_id));
    cursor = r.body.cursor;
  } while (cursor);
  return ids;
}

describe("across nodes", () => {
  test("the same events sent through both nodes at once are stored once; the other copy says duplicate", async () => {
    const a = await freshApp();
    const ids = Array.from({ length: 30 }, () => crypto.randomUUID());
    const replies = await Promise.all(
      ids.flatMap((id) => [0, 1].map((n) => onNode(n, "POST", "/v1/ingest", a.key, { events: [event(id)] }))),
    );
    expect(replies.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    expect(replies.reduce((n, r) => n + r.body.accepted, 0)).toBe(30);
    expect(replies.reduce((n, r) => n + r.body.duplicates, 0)).toBe(30);
    expect((await listedIds(a.appId)).sort()).toEqual([...ids].sort());
    const outcomes = await roost.outcomes(a.projectId);
    expect(outcomes.filter((o) => o.category === "default")).toEqual([
      { outcome: "accepted", reason: null, category: "default", quantity: 30, times_seen: 30 },
      { outcome: "invalid", reason: "duplicate", category: "default", quantity: 30, times_seen: 30 },
    ]);
  });

  test("a project's per-minute quota holds whichever node a batch reaches", async () => {
    const a = await freshApp({ quota: { events_per_minute: 5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await onNode(i % 2, "POST", "/v1/ingest", a.key, { events: [event(crypto.randomUUID())] });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect((await listedIds(a.appId)).length).toBe(5);
  });

  test("a session from one node works on the other; a key revoked on one is refused by the other at once", async () => {
    const login = await onNode(0, "POST", "/v1/auth/login", "", { email: t.email, password: t.password });
    expect(login.status).toBe(200);
    expect((await onNode(1, "GET", "/v1/auth/me", login.body.token)).status).toBe(200);
    const key = await onNode(0, "POST", "/v1/keys", t.token, {
      kind: "agent",
      name: "short",
      team_id: t.team.id,
    });
    expect((await onNode(1, "GET", "/v1/auth/me", key.body.secret)).status).toBe(200);
    expect((await onNode(0, "DELETE", `/v1/keys/${key.body.id}`, t.token)).status).toBe(200);
    const after = await onNode(1, "GET", "/v1/auth/me", key.body.secret);
    expect(after.status).toBe(401);
  });

  test("an attachment reserved on one node is uploaded on the other, linked and downloaded on either", async () => {
    const a = await freshApp();
    const content = new TextEncoder().encode(`crash log ${crypto.randomUUID()}`);
    const sha256 = new Bun.CryptoHasher("sha256").update(content).digest("hex");
    const id = crypto.randomUUID();
    const reserved = await onNode(0, "POST", "/v1/ingest/attachment", a.key, {
      client_event_id: id,
      original_filename: "crash.log",
      content_type: "text/plain",
      size_bytes: content.length,
      sha256,
    });
    expect(reserved.status).toBe(201);
    const upload = new URL(reserved.body.upload_url);
    const put = await fetch(`${nodes[1]}${upload.pathname}${upload.search}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${a.key}` },
      body: content,
    });
    expect(put.status).toBe(200);
    // The event comes after its attachment, through the node that did not see the reservation.
    expect((await onNode(1, "POST", "/v1/ingest", a.key, { events: [event(id)] })).body.accepted).toBe(1);
    const [eventId] = (
      await onNode(0, "GET", `/v1/events?app_id=${a.appId}&since=2000-01-01`, t.adminKey)
    ).body.events.map((e: { id: string }) => e.id);
    const detail = await onNode(1, "GET", `/v1/events/${eventId}`, t.adminKey);
    expect(detail.body.attachments.map((x: { id: string }) => x.id)).toEqual([reserved.body.attachment_id]);
    const row = await onNode(0, "GET", `/v1/attachments/${reserved.body.attachment_id}`, t.adminKey);
    expect(row.body.event_id).toBe(eventId);
    for (const n of [0, 1]) {
      const link = new URL(row.body.download_url);
      const download = await fetch(`${nodes[n]}${link.pathname}${link.search}`);
      expect(download.status).toBe(200);
      expect(new Uint8Array(await download.arrayBuffer())).toEqual(content);
    }
  });

  test("an identity claim through one node holds on the other at once: reads, counts, later events", async () => {
    const a = await freshApp();
    const anon = `owl_anon_${crypto.randomUUID()}`;
    const send = (node: number, user: string) =>
      onNode(node, "POST", "/v1/ingest", a.key, {
        events: [{ ...event(crypto.randomUUID()), user_id: user }],
      });
    for (let i = 0; i < 3; i++) expect((await send(0, anon)).body.accepted).toBe(1);
    expect((await send(1, "someone")).body.accepted).toBe(1);
    const claimed = await onNode(1, "POST", "/v1/identity/claim", a.key, {
      anonymous_id: anon,
      user_id: "ann",
    });
    expect(claimed.body).toEqual({ claimed: true, events_reassigned_count: 3 });
    // Node 0 did not see the claim made: its next request learns it.
    const page = await onNode(
      0,
      "GET",
      `/v1/events?app_id=${a.appId}&user_id=ann&since=2000-01-01`,
      t.adminKey,
    );
    expect(page.body.events.map((e: { user_id: string }) => e.user_id)).toEqual(["ann", "ann", "ann"]);
    const counted = await onNode(0, "GET", `/v1/events/count?app_id=${a.appId}&since=2000-01-01`, t.adminKey);
    expect(counted.body).toMatchObject({ count: 4, unique_users: 2 });
    // An event sent after the claim under the anonymous id is stored as the user's.
    expect((await send(0, anon)).body.accepted).toBe(1);
    const rows = await roost.stored(a.appId);
    expect(rows.map((r) => r.user_id)).toEqual([anon, anon, anon, "someone", "ann"]);
    expect(
      (await onNode(0, "POST", "/v1/identity/claim", a.key, { anonymous_id: anon, user_id: "bob" })).status,
    ).toBe(409);
  });

  test("the events API's rate limit is one bucket across nodes", async () => {
    // Two more nodes with a small limit: 3 at once, one a second.
    const env = {
      ROOST_STORE: "clickhouse",
      ROOST_EVENTS_RATE_BURST: "3",
      ROOST_EVENTS_RATE_PER_SECOND: "1",
      ROOST_LOG_LEVEL: "silent",
    };
    const limited: RunningServer[] = [];
    try {
      for (const name of ["a", "b"]) limited.push(await startServer(tempDir(`roost-node-${name}-`), env));
      const u = await roost.tenant("Limited");
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const node = limited[i % 2] as RunningServer;
        const r = await fetch(`${node.base}/v1/events?limit=1`, {
          headers: { authorization: `Bearer ${u.adminKey}` },
        });
        statuses.push(r.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      for (const node of limited) await stopServer(node);
    }
  });

  test("a node killed -9 under load: every acknowledged event is stored exactly once", async () => {
    const a = await freshApp();
    const ledger: LoadLedger = { sent: new Set(), acked: new Set() };
    const stop = { now: false };
    const proxy = { base: process.env.ROOST_PROXY_URL as string } as RunningServer;
    const load = ingestLoad(proxy, a.key, ledger, stop, { connections: 4, batch: 20 });
    await Bun.sleep(1500);
    const pid = Number(await Bun.file(join(clusterDir, "node0", "node.pid")).text());
    process.kill(pid, "SIGKILL");
    await Bun.sleep(1500);
    stop.now = true;
    await load;
    expect(await clusterScript("start")).toBe(0);
    expect(ledger.acked.size).toBeGreaterThan(100);
    const stored = await listedIds(a.appId);
    expect(new Set(stored).size).toBe(stored.length);
    const storedSet = new Set(stored);
    for (const id of ledger.acked) expect(storedSet.has(id)).toBe(true);
    for (const id of stored) expect(ledger.sent.has(id)).toBe(true);
  });

  test("a ClickHouse shard down: writes are a 503 that stores nothing, reads a 503 naming the shard", async () => {
    const a = await freshApp();
    const batch = { events: Array.from({ length: 20 }, () => event(crypto.randomUUID())) };
    const pid = Number(await Bun.file(join(clusterDir, "ch1", "server.pid")).text());
    process.kill(pid, "SIGKILL");
    try {
      const write = await roost.call("POST", "/v1/ingest", { token: a.key, body: batch });
      expect(write.status).toBe(503);
      expect(write.body.error).toMatch(
        /^The event store is unavailable: a ClickHouse shard \(127\.0\.0\.1:\d+\) did not answer/,
      );
      const read = await roost.call("GET", `/v1/events?app_id=${a.appId}`, { token: t.adminKey });
      expect(read.status).toBe(503);
      expect(read.body.error).toMatch(/a ClickHouse shard \(127\.0\.0\.1:\d+\) did not answer while reading/);
    } finally {
      expect(await clusterScript("start-db")).toBe(0);
    }
    // Nothing of the refused batch was kept or claimed: sent again, all of it is stored.
    let again = await roost.call("POST", "/v1/ingest", { token: a.key, body: batch });
    for (let i = 0; i < 50 && again.status === 503; i++) {
      await Bun.sleep(200);
      again = await roost.call("POST", "/v1/ingest", { token: a.key, body: batch });
    }
    expect(again.body).toMatchObject({ accepted: 20, duplicates: 0 });
    expect((await listedIds(a.appId)).length).toBe(20);
  });

  test("claims past the dedup window, and old quota windows and buckets, are pruned; fresh ones stay", async () => {
    const a = await freshApp();
    const [old, fresh] = [crypto.randomUUID(), crypto.randomUUID()];
    expect(
      (await roost.call("POST", "/v1/ingest", { token: a.key, body: { events: [event(old), event(fresh)] } }))
        .body.accepted,
    ).toBe(2);
    await roost.store.run(
      "UPDATE event_claims SET claimed_at = now() - INTERVAL '9 days' WHERE client_event_id = ?",
      [old],
    );
    await roost.store.run(
      "INSERT INTO rate_buckets VALUES ('events', 'gone', 1, true, now() - INTERVAL '2 days')",
    );
    expect(
      await pruneShared(roost.store as unknown as PgStore, createLogger("silent")),
    ).toBeGreaterThanOrEqual(1);
    const left = await roost.store.read<{ client_event_id: string }>(
      "SELECT client_event_id FROM event_claims WHERE list_contains(?::JSON::VARCHAR[], client_event_id)",
      [[old, fresh]],
    );
    expect(left.map((r) => r.client_event_id)).toEqual([fresh]);
    expect(await roost.store.read("SELECT 1 FROM rate_buckets WHERE caller = 'gone'")).toEqual([]);
    // Past its window, the old id is a new event again; the fresh one is still a duplicate.
    const again = await roost.call("POST", "/v1/ingest", {
      token: a.key,
      body: { events: [event(old), event(fresh)] },
    });
    expect(again.body).toMatchObject({ accepted: 1, duplicates: 1 });
  });

  test("each node's /metrics counts what it committed; without the token it is a 401", async () => {
    const token = process.env.ROOST_METRICS_TOKEN as string;
    const scrape = async () => {
      const r = await fetch(`${nodes[1]}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      const line = (await r.text())
        .split("\n")
        .find((l) => l.startsWith('roost_outcomes_total{outcome="accepted",category="default"}'));
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    expect((await fetch(`${nodes[1]}/metrics`)).status).toBe(401);
    const a = await freshApp();
    const before = await scrape();
    const r = await onNode(1, "POST", "/v1/ingest", a.key, {
      events: Array.from({ length: 7 }, () => event(crypto.randomUUID())),
    });
    expect(r.body.accepted).toBe(7);
    expect((await scrape()) - before).toBe(7);
  });
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
