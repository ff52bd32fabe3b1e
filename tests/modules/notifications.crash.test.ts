import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

/**
 * Webhooks across a kill -9, for real: a spawned server notifies a local receiver of 30 new
 * issues; the receiver refuses each delivery's first attempt, and the server is killed while
 * retries are pending, then restarted. Every issue must be delivered by exactly one delivery id
 * (nothing lost, nothing queued twice), acknowledged, and any repeat must carry the same id.
 */
const dir = tempDir("roost-hook-crash-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("every new issue is delivered once across a kill -9", async () => {
  const attempts = new Map<string, number>();
  const acknowledged: Array<{ delivery: string; issue: string }> = [];
  const receiver = Bun.serve({
    port: 0,
    async fetch(request) {
      const body = JSON.parse(await request.text());
      const delivery = request.headers.get("x-roost-delivery") as string;
      const n = (attempts.get(delivery) ?? 0) + 1;
      attempts.set(delivery, n);
      if (n === 1) return new Response("later", { status: 500 });
      acknowledged.push({ delivery, issue: body.issue.id });
      return new Response("ok");
    },
  });
  const env = {
    ROOST_ADMIN_PASSWORD: "crash-password",
    ROOST_WEBHOOK_RETRY_MS: "400",
    ROOST_NOTIFY_POLL_MS: "50",
    ROOST_EVENTS_RATE_BURST: "100000",
    ROOST_EVENTS_RATE_PER_SECOND: "100000",
  };
  let server: RunningServer = await startServer(dir, env);
  try {
    const { client } = firstRunKeys(server.startup);
    const call = async (path: string, init: { method?: string; token?: string; body?: unknown }) => {
      const r = await fetch(`${server.base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          "content-type": "application/json",
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    const login = await call("/v1/auth/login", {
      method: "POST",
      body: { email: "admin@localhost", password: "crash-password" },
    });
    const token = login.body.token as string;
    const projects = await call("/v1/projects", { token });
    const projectId = projects.body.projects[0].id as string;
    const hook = await call(`/v1/projects/${projectId}/notifications`, {
      method: "POST",
      token,
      body: { url: `http://127.0.0.1:${receiver.port}/hook`, events: ["issue.new"] },
    });
    expect(hook.status).toBe(201);

    const kinds = ["Disk", "Cache", "Queue", "Socket", "Token", "Index"];
    const places = ["sync", "login", "upload", "search", "checkout"];
    const events = kinds.flatMap((k, i) =>
      places.map((p, j) => ({
        client_event_id: `crash-${i}-${j}`,
        session_id: `session-${i}-${j}`,
        level: "error",
        message: `${k} failure in ${p}`,
        environment: "backend",
      })),
    );
    const sent = await call("/v1/ingest", { method: "POST", token: client, body: { events } });
    expect(sent.body.accepted).toBe(30);

    // Wait until first attempts have been refused, with retries pending, then kill.
    const deadline = Date.now() + 10_000;
    while (attempts.size < 10 && Date.now() < deadline) await Bun.sleep(20);
    expect(attempts.size).toBeGreaterThanOrEqual(10);
    server.child.kill("SIGKILL");
    await server.child.exited;
    const beforeRestart = acknowledged.length;

    server = await startServer(dir, env);
    const done = Date.now() + 20_000;
    while (new Set(acknowledged.map((a) => a.issue)).size < 30 && Date.now() < done) await Bun.sleep(50);

    const issues = await call(`/v1/projects/${projectId}/issues?limit=200`, { token });
    expect(issues.body.issues).toHaveLength(30);
    const deliveriesByIssue = new Map<string, Set<string>>();
    for (const a of acknowledged) {
      deliveriesByIssue.set(a.issue, (deliveriesByIssue.get(a.issue) ?? new Set()).add(a.delivery));
    }
    expect([...deliveriesByIssue.keys()].sort()).toEqual(issues.body.issues.map((i: any) => i.id).sort());
    for (const ids of deliveriesByIssue.values()) expect(ids.size).toBe(1);
    const log = await call(`/v1/projects/${projectId}/notifications/${hook.body.id}/deliveries`, { token });
    expect(log.body.deliveries).toHaveLength(30);
    expect(log.body.deliveries.every((d: any) => d.state === "delivered")).toBe(true);
    console.error(
      `webhook crash: ${attempts.size} deliveries, ${beforeRestart} acknowledged before the kill, ` +
        `${acknowledged.length - new Set(acknowledged.map((a) => a.delivery)).size} repeated`,
    );
  } finally {
    await stopServer(server);
    receiver.stop(true);
  }
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
