import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { OwlmetryNode } from "../support/owlmetry-node";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

/**
 * Owlmetry's Node SDK integration tests (owlmetry-node `tests/integration/round-trip.test.ts` and
 * `feedback.test.ts`), ported: the same calls through a port of the SDK's requests
 * (tests/support/owlmetry-node.ts) against a real server, the same reads and assertions. A claim
 * (the Swift and Android SDKs' setUser) is added, since the Node SDK has none.
 */
const dir = tempDir("roost-owl-node-");
let server: RunningServer;
let agent: string;
let Owl: OwlmetryNode;

const read = async (path: string) => {
  const r = await fetch(`${server.base}${path}`, { headers: { Authorization: `Bearer ${agent}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as any;
};

beforeAll(async () => {
  server = await startServer(dir, { ROOST_ADMIN_PASSWORD: "owlmetry-node-test", ROOST_LOG_LEVEL: "silent" });
  const keys = firstRunKeys(server.startup);
  // Owlmetry's test agent key reads feedback too: the first run's reads events and team info.
  const login = await fetch(`${server.base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@localhost", password: "owlmetry-node-test" }),
  });
  const { token } = (await login.json()) as { token: string };
  const created = await fetch(`${server.base}/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ kind: "agent", name: "sdk tests", permissions: ["events:read", "feedback:read"] }),
  });
  agent = ((await created.json()) as { secret: string }).secret;
  Owl = new OwlmetryNode({ endpoint: server.base, apiKey: keys.client, appVersion: "1.0.0-test" });
});

afterAll(async () => {
  await Owl?.shutdown();
  if (server) await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
});

describe("Node SDK integration (round-trip.test.ts)", () => {
  test("sends events and queries them back", async () => {
    const uniqueMsg = `integration ${randomUUID()}`;
    Owl.info(uniqueMsg, { test: "true" });
    await Owl.flush();
    const body = await read("/v1/events?limit=10&data_mode=all");
    const found = body.events.find((e: { message: string }) => e.message === uniqueMsg);
    expect(found).toBeDefined();
    expect(found.environment).toBe("backend");
    expect(found.custom_attributes).toEqual({ test: "true" });
    expect(found.is_dev).toBe(true);
    expect(found).toMatchObject({
      sdk_name: "owlmetry-node",
      app_version: "1.0.0-test",
      session_id: Owl.sessionId,
    });
    // The SDK's own first event, from the same batch.
    expect(body.events.some((e: { message: string }) => e.message === "sdk:session_started")).toBe(true);
  });

  test("sends events with user_id via withUser", async () => {
    const uniqueMsg = `user ${randomUUID()}`;
    Owl.withUser("integration-user-42").error(uniqueMsg);
    await Owl.flush();
    const body = await read("/v1/events?user_id=integration-user-42&limit=10&data_mode=all");
    const found = body.events.find((e: { message: string }) => e.message === uniqueMsg);
    expect(found).toMatchObject({ user_id: "integration-user-42", level: "error" });
  });

  test("sets user properties and verifies them via API", async () => {
    const userId = `props-test-${Date.now()}`;
    const owl = Owl.withUser(userId);
    owl.info("properties test");
    await Owl.flush();
    owl.setUserProperties({ plan: "premium", org: "acme" });
    await Owl.settled();
    const body = await read(`/v1/app-users?search=${userId}&data_mode=all`);
    const user = body.users.find((u: { user_id: string }) => u.user_id === userId);
    expect(user.properties.plan).toBe("premium");
    expect(user.properties.org).toBe("acme");
    expect(user.event_count).toBe(1);
  });

  test("merges user properties without overwriting", async () => {
    const userId = `merge-test-${Date.now()}`;
    const owl = Owl.withUser(userId);
    owl.info("merge test");
    await Owl.flush();
    owl.setUserProperties({ plan: "free", org: "acme" });
    await Owl.settled();
    owl.setUserProperties({ plan: "premium", role: "admin" });
    await Owl.settled();
    const body = await read(`/v1/app-users?search=${userId}&data_mode=all`);
    const user = body.users.find((u: { user_id: string }) => u.user_id === userId);
    expect(user.properties).toEqual({ plan: "premium", org: "acme", role: "admin" });
  });

  test("stamps events with session_id from withSession() scope and from options.sessionId", async () => {
    const clientSessionId = randomUUID();
    const scoped = `scoped ${randomUUID()}`;
    const overridden = `overridden ${randomUUID()}`;
    Owl.withSession(clientSessionId).withUser("session-scope-user").info(scoped, { scoped: "true" });
    Owl.info(overridden, { overridden: "true" }, { sessionId: clientSessionId });
    await Owl.flush();
    const body = await read(`/v1/events?session_id=${clientSessionId}&limit=10&data_mode=all`);
    const messages = body.events.map((e: { message: string }) => e.message);
    expect(messages).toContain(scoped);
    expect(messages).toContain(overridden);
    const found = body.events.find((e: { message: string }) => e.message === scoped);
    expect(found).toMatchObject({ session_id: clientSessionId, user_id: "session-scope-user" });
  });

  test("silently falls back to the default session when given an invalid UUID", async () => {
    const uniqueMsg = `invalid session ${randomUUID()}`;
    Owl.withSession("not-a-uuid").withUser("invalid-session-user").info(uniqueMsg);
    Owl.info(`${uniqueMsg} 2`, { path: "/api/thing" }, { sessionId: "also-not-a-uuid" });
    await Owl.flush();
    const body = await read("/v1/events?limit=50&data_mode=all");
    for (const message of [uniqueMsg, `${uniqueMsg} 2`]) {
      const found = body.events.find((e: { message: string }) => e.message === message);
      expect(found.session_id).toBe(Owl.sessionId);
    }
  });

  test("two events with the same message are both stored (each has its own client_event_id)", async () => {
    const m = `twice ${randomUUID()}`;
    Owl.info(m);
    await Owl.flush();
    Owl.info(m);
    await Owl.flush();
    const body = await read("/v1/events?limit=50&data_mode=all");
    expect(body.events.filter((e: { message: string }) => e.message === m)).toHaveLength(2);
  });

  test("a batch past 512 characters goes gzipped, 20 events a request", async () => {
    const before = Owl.sent.length;
    const marker = randomUUID();
    for (let i = 0; i < 45; i++) Owl.info(`bulk ${marker} ${i}`, { i });
    await Owl.flush();
    const requests = Owl.sent.slice(before);
    expect(requests.map((r) => (r.body as { events: unknown[] }).events.length)).toEqual([20, 20, 5]);
    expect(requests.every((r) => r.headers["Content-Encoding"] === "gzip" && r.status === 200)).toBe(true);
    const counted = await read(`/v1/events/count?data_mode=all&since=5m`);
    expect(counted.count).toBeGreaterThanOrEqual(45);
  });
});

describe("Node SDK sendFeedback integration (feedback.test.ts)", () => {
  const byId = async (id: string) =>
    (await read("/v1/feedback?limit=50&data_mode=all")).feedback.find((row: { id: string }) => row.id === id);

  test("submits feedback and returns a receipt that round-trips via the API", async () => {
    const marker = randomUUID();
    const receipt = await Owl.sendFeedback(`Great app — ${marker}`, {
      name: "Jane Tester",
      email: "jane@example.com",
    });
    expect(receipt.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(receipt.createdAt))).toBe(false);
    expect(await byId(receipt.id)).toMatchObject({
      message: `Great app — ${marker}`,
      submitter_name: "Jane Tester",
      submitter_email: "jane@example.com",
      status: "new",
      environment: "backend",
      is_dev: true,
      app_version: "1.0.0-test",
      sdk_name: "owlmetry-node",
    });
    await Owl.flush();
    const events = await read("/v1/events?limit=20&data_mode=all");
    const submitted = events.events.find((e: { message: string }) => e.message === "sdk:feedback_submitted");
    expect(submitted.custom_attributes).toEqual({ has_email: "true", has_name: "true" });
  });

  test("rejects empty and too long messages without hitting the server", async () => {
    const before = Owl.sent.length;
    await expect(Owl.sendFeedback("   ")).rejects.toThrow(/feedback message is required/);
    await expect(Owl.sendFeedback("x".repeat(4001))).rejects.toThrow(/at most 4000 characters/);
    expect(Owl.sent.length).toBe(before);
  });

  test("attaches user_id and session_id from a scoped logger", async () => {
    const userId = `feedback-user-${Date.now()}`;
    const sessionId = randomUUID();
    const receipt = await Owl.withUser(userId).withSession(sessionId).sendFeedback("scoped feedback");
    expect(await byId(receipt.id)).toMatchObject({ user_id: userId, session_id: sessionId });
  });

  test("surfaces server-side validation errors", async () => {
    await expect(Owl.sendFeedback("bad email test", { email: "not-an-email" })).rejects.toThrow(
      /submitter_email is not a valid email address/,
    );
  });
});

describe("setUser's claim (as the Swift and Android SDKs send it)", () => {
  test("the anonymous events, counts and properties become the user's", async () => {
    const anonymous = `owl_anon_${randomUUID()}`;
    Owl.withUser(anonymous).info("browsing before sign-in");
    Owl.withUser(anonymous).info("added to cart");
    Owl.setUserProperties(anonymous, { onboarding: "done" });
    await Owl.settled();
    const claimed = await Owl.claim(anonymous, "signed-in-user");
    expect(claimed).toEqual({ status: 200, body: { claimed: true, events_reassigned_count: 2 } });
    Owl.withUser("signed-in-user").info("checked out");
    await Owl.flush();
    const events = await read("/v1/events?user_id=signed-in-user&limit=10&data_mode=all");
    expect(events.events.map((e: { message: string }) => e.message).sort()).toEqual([
      "added to cart",
      "browsing before sign-in",
      "checked out",
    ]);
    const users = await read("/v1/app-users?user_id=signed-in-user&data_mode=all");
    expect(users.users[0]).toMatchObject({
      user_id: "signed-in-user",
      claimed_from: [anonymous],
      properties: { onboarding: "done" },
      event_count: 3,
    });
    const counted = await read("/v1/events/count?user_id=signed-in-user&data_mode=all");
    expect(counted).toMatchObject({ count: 3, unique_users: 1 });
  });
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
