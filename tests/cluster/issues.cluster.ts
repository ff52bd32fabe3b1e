import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { signature } from "../../src/modules/notifications/webhook";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { mcpClient, toolJson } from "../support/mcp";
import { clusterDir, clusterScript, nodes, onNode, requireCluster, roostCli } from "./nodes";

/**
 * Issues on a cluster (decision 017): one node groups (the PostgreSQL lock holder) what every
 * node stored; every node reads and triages; a merge made on any node steers later errors; when
 * the grouping node dies another takes over, and no error is grouped twice or left out.
 */
const METRICS_TOKEN = process.env.ROOST_METRICS_TOKEN as string;

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  requireCluster();
  roost = await startRoost();
  t = await roost.tenant("Issues");
});
afterAll(() => roost.close());

/** Errors through one node (or the proxy), each its own session unless told. */
async function send(
  node: number | null,
  errors: Array<{ message: string; session?: string; version?: string }>,
  key = t.clientKey,
) {
  const body = {
    bundle_id: t.app.bundle_id,
    events: errors.map((e) => ({
      client_event_id: crypto.randomUUID(),
      session_id: e.session ?? crypto.randomUUID(),
      level: "error",
      message: e.message,
      environment: "ios",
      app_version: e.version ?? "1.0.0",
    })),
  };
  const r =
    node === null
      ? await roost.call("POST", "/v1/ingest", { token: key, body })
      : await onNode(node, "POST", "/v1/ingest", key, body);
  expect(r.status).toBe(200);
  expect(r.body.accepted).toBe(errors.length);
}

const listed = async (node: number | null = null) => {
  const path = `/v1/projects/${t.project.id}/issues?data_mode=all&limit=100`;
  const r =
    node === null
      ? await roost.call("GET", path, { token: t.token })
      : await onNode(node, "GET", path, t.token);
  expect(r.status).toBe(200);
  return r.body.issues as any[];
};

/** The issue titled so once `ready` holds of it (grouping runs a moment behind ingest). */
async function issueWhen(title: string | RegExp, ready: (issue: any) => boolean, node: number | null = null) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const all = await listed(node);
    // The first error of an issue names it: of errors received together, either may be first.
    const issue = all.find((i) => (typeof title === "string" ? i.title === title : title.test(i.title)));
    if (issue && ready(issue)) return issue;
    if (Date.now() > deadline)
      throw new Error(
        `no issue '${title}' as expected, of ${JSON.stringify(all.map((i) => [i.title, i.event_count]))}`,
      );
    await Bun.sleep(200);
  }
}

/** Which node holds the grouping lock, by its /metrics. */
async function groupingNode(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    for (const [i, base] of nodes.entries()) {
      const r = await fetch(`${base}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      }).catch(() => null); // a node killed meanwhile
      if (r?.ok && (await r.text()).includes("roost_issue_grouping 1")) return i;
    }
    await Bun.sleep(200);
  }
  throw new Error("no node is grouping");
}

describe("issues across nodes", () => {
  test("the same error through both nodes is one issue, grouped within seconds, read on either node", async () => {
    await send(0, [{ message: "Cart 17 is empty" }, { message: "Cart 18 is empty" }]);
    await send(1, [{ message: "Cart 19 is empty" }, { message: "Payment declined" }]);
    const issue = await issueWhen(/^Cart 1[789] is empty$/, (i) => i.event_count === 3);
    expect(issue).toMatchObject({ status: "new", event_count: 3, occurrence_count: 3, app_id: t.app.id });
    expect((await issueWhen("Payment declined", (i) => i.event_count === 1, 1)).fingerprints).toHaveLength(1);
    expect(await groupingNode()).toBeOneOf([0, 1]);
  });

  test("a Sentry error event becomes an issue under its exception", async () => {
    const sentryId = t.project.sentry_id;
    const eventId = crypto.randomUUID().replaceAll("-", "");
    const event = {
      event_id: eventId,
      timestamp: Date.now() / 1000,
      platform: "node",
      level: "error",
      exception: { values: [{ type: "RangeError", value: "index 3 out of range" }] },
    };
    const body = `${JSON.stringify({ event_id: eventId })}\n{"type":"event"}\n${JSON.stringify(event)}`;
    const r = await fetch(`${nodes[1]}/api/${sentryId}/envelope/?sentry_key=${t.clientKey}`, {
      method: "POST",
      body,
    });
    expect(r.status).toBe(200);
    const issue = await issueWhen("RangeError: index 3 out of range", (i) => i.event_count === 1);
    expect(issue.status).toBe("new");
  });

  test("resolved on one node, regressed by a newer version's error through the other", async () => {
    await send(0, [{ message: "Sync failed for folder 4", version: "2.0.0" }]);
    const issue = await issueWhen("Sync failed for folder 4", (i) => i.event_count === 1);
    const path = `/v1/projects/${t.project.id}/issues/${issue.id}`;
    const resolved = await onNode(0, "PATCH", path, t.token, {
      status: "resolved",
      resolved_at_version: "2.0.0",
    });
    expect([resolved.status, resolved.body.status]).toEqual([200, "resolved"]);
    await send(1, [{ message: "Sync failed for folder 9", version: "2.1.0" }]);
    const regressed = await issueWhen("Sync failed for folder 4", (i) => i.status === "regressed", 1);
    expect(regressed).toMatchObject({ event_count: 2, resolved_at_version: null });
  });

  test("an issue's detail, comments, list filters and sorts, and its events, read as on one Roost", async () => {
    await send(0, [
      { message: "Image 5 failed to decode", session: "s1", version: "3.0.0" },
      { message: "Image 6 failed to decode", session: "s1", version: "3.1.0" },
      { message: "Image 7 failed to decode", session: "s2", version: "3.1.0" },
      { message: "Font missing", session: "s3", version: "3.2.0" },
    ]);
    await issueWhen("Font missing", (i) => i.event_count === 1);
    const issue = await issueWhen(/^Image \d failed to decode$/, (i) => i.event_count === 3);
    const path = `/v1/projects/${t.project.id}/issues/${issue.id}`;
    const detail = await onNode(1, "GET", path, t.token);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ event_count: 3, occurrence_count: 2 });
    expect(detail.body.occurrences.map((o: { session_id: string }) => o.session_id).sort()).toEqual([
      "s1",
      "s2",
    ]);
    expect(detail.body.days).toEqual([{ day: new Date().toISOString().slice(0, 10), events: 3 }]);
    const comment = await onNode(0, "POST", `${path}/comments`, t.token, { body: "Looking into it" });
    expect(comment.status).toBe(201);
    const comments = await onNode(1, "GET", `${path}/comments`, t.token);
    expect(comments.body.comments.map((c: { body: string }) => c.body)).toEqual(["Looking into it"]);
    const query = async (q: string) =>
      (
        await onNode(1, "GET", `/v1/projects/${t.project.id}/issues?data_mode=all${q}`, t.token)
      ).body.issues.map((i: { id: string }) => i.id);
    expect(await query("&release=3.1.0")).toEqual([issue.id]);
    expect(await query("&status=new")).toContain(issue.id);
    expect(await query("&status=silenced")).toEqual([]);
    for (const sort of ["first_seen", "events", "users", "sessions"])
      expect(await query(`&sort=${sort}`)).toContain(issue.id);
    // Pages by cursor, across nodes: every issue once.
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/projects/${t.project.id}/issues?data_mode=all&limit=1${cursor ? `&cursor=${cursor}` : ""}`;
      const page: any = await onNode(ids.length % 2, "GET", q, t.token);
      ids.push(...page.body.issues.map((i: { id: string }) => i.id));
      cursor = page.body.cursor;
    } while (cursor);
    expect(ids.sort()).toEqual((await query("")).sort());
    const events = await onNode(0, "GET", `/v1/events?issue_id=${issue.id}&limit=2`, t.token);
    expect(events.body.events).toHaveLength(2);
    const rest = await onNode(
      1,
      "GET",
      `/v1/events?issue_id=${issue.id}&limit=2&cursor=${events.body.cursor}`,
      t.token,
    );
    expect(
      [...events.body.events, ...rest.body.events].map((e: { message: string }) => e.message).sort(),
    ).toEqual(["Image 5 failed to decode", "Image 6 failed to decode", "Image 7 failed to decode"]);
    const counted = await onNode(1, "GET", `/v1/events/count?issue_id=${issue.id}`, t.token);
    expect(counted.body).toMatchObject({ count: 3, unique_sessions: 2 });
  });

  test("a merge made on the node that does not group steers the next errors", async () => {
    await send(null, [{ message: "Disk quota exceeded" }, { message: "Socket closed by peer" }]);
    const target = await issueWhen("Disk quota exceeded", (i) => i.event_count === 1);
    const source = await issueWhen("Socket closed by peer", (i) => i.event_count === 1);
    const other = 1 - (await groupingNode());
    const merged = await onNode(
      other,
      "POST",
      `/v1/projects/${t.project.id}/issues/${target.id}/merge`,
      t.token,
      {
        source_issue_id: source.id,
      },
    );
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ event_count: 2, merged_issue_id: source.id });
    await send(0, [{ message: "Socket closed by peer" }]);
    await send(1, [{ message: "Socket closed by peer" }]);
    await issueWhen("Disk quota exceeded", (i) => i.event_count === 4);
    expect((await listed()).some((i) => i.id === source.id)).toBe(false);
  });

  test("a new issue's webhook is delivered once, signed, whichever node the error came through", async () => {
    const seen: Array<{ headers: Headers; body: string }> = [];
    const hook = Bun.serve({
      port: 0,
      async fetch(request) {
        seen.push({ headers: request.headers, body: await request.text() });
        return new Response("ok");
      },
    });
    try {
      const created = await onNode(1, "POST", `/v1/projects/${t.project.id}/notifications`, t.token, {
        url: `http://127.0.0.1:${hook.port}/hook`,
        events: ["issue.new"],
      });
      expect(created.status).toBe(201);
      await send(0, [{ message: "Checkout button missing" }]);
      await send(1, [{ message: "Printer offline" }]);
      const deadline = Date.now() + 15_000;
      while (seen.length < 2 && Date.now() < deadline) await Bun.sleep(100);
      await Bun.sleep(1_500); // a second delivery of either would come now
      const payloads = seen.map((s) => JSON.parse(s.body));
      expect(payloads.map((p) => p.issue.title).sort()).toEqual([
        "Checkout button missing",
        "Printer offline",
      ]);
      expect(new Set(payloads.map((p) => p.delivery_id)).size).toBe(2);
      for (const { headers, body } of seen) {
        const timestamp = headers.get("x-roost-timestamp") as string;
        expect(headers.get("x-roost-signature")).toBe(
          `sha256=${signature(created.body.secret, timestamp, body)}`,
        );
      }
      const deliveries = await onNode(
        0,
        "GET",
        `/v1/projects/${t.project.id}/notifications/${created.body.id}/deliveries`,
        t.token,
      );
      expect(deliveries.status).toBe(200);
    } finally {
      hook.stop(true);
    }
  });

  test("/mcp on a node: every tool; events, issues and a metric read across nodes", async () => {
    await send(0, [{ message: "Keychain item not found" }]);
    const metric = (phase: string, extra: Record<string, string> = {}) => ({
      client_event_id: crypto.randomUUID(),
      session_id: "mcp",
      user_id: "mcp-user",
      level: "info",
      message: `metric:sync:${phase}`,
      environment: "ios",
      custom_attributes: { tracking_id: "00000000-0000-4000-8000-000000000001", ...extra },
    });
    const sent = await onNode(1, "POST", "/v1/ingest", t.clientKey, {
      bundle_id: t.app.bundle_id,
      events: [metric("start"), metric("complete", { duration_ms: "250" })],
    });
    expect(sent.body.accepted).toBe(2);
    await issueWhen("Keychain item not found", (i) => i.event_count === 1);
    const client = await mcpClient(`${nodes[1]}/mcp`, t.token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name).sort()).toEqual([
        "count_events",
        "get_event",
        "list_apps",
        "list_events",
        "list_issues",
        "list_projects",
        "query_metric",
        "usage_stats",
      ]);
      const issues = toolJson(
        await client.callTool({
          name: "list_issues",
          arguments: { project_id: t.project.id, data_mode: "all" },
        }),
      );
      expect(issues.issues.map((i: { title: string }) => i.title)).toContain("Keychain item not found");
      const events = toolJson(
        await client.callTool({
          name: "list_events",
          arguments: { project_id: t.project.id, data_mode: "all", since: "2000-01-01" },
        }),
      );
      expect(events.events.map((e: { message: string }) => e.message)).toContain("Keychain item not found");
      const sync = toolJson(
        await client.callTool({
          name: "query_metric",
          arguments: { project_id: t.project.id, slug: "sync" },
        }),
      );
      expect(sync.aggregation).toMatchObject({
        total_count: 2,
        start_count: 1,
        complete_count: 1,
        success_rate: 100,
        duration_p50_ms: 250,
        unique_users: 1,
      });
    } finally {
      await client.close();
    }
  });

  test("roost issues rebuild with the nodes running: the same issues, triage kept; grouping goes on", async () => {
    await send(0, [{ message: "Quota exceeded for drive 1" }, { message: "Quota exceeded for drive 2" }]);
    const before = await issueWhen(/^Quota exceeded for drive/, (i) => i.event_count === 2);
    const path = `/v1/projects/${t.project.id}/issues/${before.id}`;
    expect((await onNode(1, "PATCH", path, t.token, { status: "silenced" })).status).toBe(200);
    const counts = async () =>
      Object.fromEntries((await listed()).map((i) => [i.id, [i.title, i.event_count, i.status]]));
    const was = await counts();
    const { out, err, code } = await roostCli("issues", "rebuild");
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/^rebuilt \d+ issues from \d+ errors in \d+ projects; \d+ ms\n$/);
    expect(await counts()).toEqual(was);
    // The grouping node reloaded its memory: the next error of the issue joins it.
    await send(1, [{ message: "Quota exceeded for drive 3" }]);
    const after = await issueWhen(/^Quota exceeded for drive/, (i) => i.event_count === 3, 1);
    expect(after).toMatchObject({ id: before.id, status: "silenced" });
  });

  test("the grouping node killed -9: another takes over; every error is grouped once", async () => {
    const grouping = await groupingNode();
    const survivor = 1 - grouping;
    await send(grouping, [{ message: "Token 1 expired" }, { message: "Token 2 expired" }]);
    const pid = Number(await Bun.file(join(clusterDir, `node${grouping}`, "node.pid")).text());
    process.kill(pid, "SIGKILL");
    try {
      await send(survivor, [{ message: "Token 3 expired" }, { message: "Token 4 expired" }]);
      const issue = await issueWhen(/^Token \d expired$/, (i) => i.event_count >= 4, survivor);
      expect(issue.event_count).toBe(4);
      expect(await groupingNode()).toBe(survivor);
    } finally {
      expect(await clusterScript("start")).toBe(0);
    }
    // Both nodes up again: nothing was grouped twice meanwhile.
    await Bun.sleep(2_500);
    expect((await issueWhen(/^Token \d expired$/, () => true)).event_count).toBe(4);
  });
});
