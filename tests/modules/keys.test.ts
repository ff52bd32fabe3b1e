import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Keys");
});
afterAll(() => roost.close());

describe("keys", () => {
  test.each([
    ["agent", "owl_agent_", ["events:read", "org:read"]],
    ["client", "owl_client_", ["events:write"]],
    ["import", "owl_import_", ["events:write"]],
  ] as const)("a %s key gets its prefix and default permissions", async (kind, prefix, permissions) => {
    const body =
      kind === "agent" ? { kind, name: "k", team_id: t.team.id } : { kind, name: "k", app_id: t.app.id };
    const r = await roost.call("POST", "/v1/keys", { token: t.token, body });
    expect(r.status).toBe(201);
    expect(r.body.secret.startsWith(prefix)).toBe(true);
    expect(r.body.secret).toHaveLength(prefix.length + 48);
    expect(r.body).toMatchObject({
      kind,
      permissions,
      team_id: t.team.id,
      app_id: kind === "agent" ? null : t.app.id,
      revoked_at: null,
    });
    const me = await roost.call("GET", "/v1/auth/me", { token: r.body.secret });
    expect(me.body.key.permissions).toEqual(permissions);
  });

  test("secrets are distinct and random", async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await roost.call("POST", "/v1/keys", {
        token: t.adminKey,
        body: { kind: "agent", name: `k${i}` },
      });
      secrets.add(r.body.secret);
    }
    expect(secrets.size).toBe(20);
  });

  test("an agent key's team defaults to the calling key's team", async () => {
    const r = await roost.call("POST", "/v1/keys", {
      token: t.adminKey,
      body: { kind: "agent", name: "child", permissions: ["org:write"] },
    });
    expect(r.status).toBe(201);
    expect(r.body.team_id).toBe(t.team.id);
    expect(r.body.permissions).toEqual(["org:write"]);
  });

  test("a client key comes with its Sentry DSN (its app's project number); an agent key has none", async () => {
    const client = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "client", name: "for sentry", app_id: t.app.id },
    });
    expect(client.status).toBe(201);
    expect(client.body.dsn).toBe(`http://${client.body.secret}@localhost/${t.project.sentry_id}`);
    expect(client.body.sentry_init).toBe(`Sentry.init({ dsn: "${client.body.dsn}" });`);
    const agent = await roost.call("POST", "/v1/keys", {
      token: t.adminKey,
      body: { kind: "agent", name: "no dsn" },
    });
    expect(agent.status).toBe(201);
    expect(agent.body.dsn).toBeUndefined();
  });

  test("expires_in_days sets expires_at; events_per_minute is kept", async () => {
    const r = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: {
        kind: "client",
        name: "limited",
        app_id: t.app.id,
        expires_in_days: 30,
        events_per_minute: 120,
      },
    });
    const days = (Date.parse(r.body.expires_at) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThanOrEqual(30);
    expect(r.body.events_per_minute).toBe(120);
  });

  test("list filters by app; revoke stops the key at once and shows revoked_at", async () => {
    const created = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "client", name: "revoke me", app_id: t.app.id },
    });
    const list = await roost.call("GET", `/v1/keys?app_id=${t.app.id}`, { token: t.token });
    expect(list.body.keys.every((k: { app_id: string }) => k.app_id === t.app.id)).toBe(true);
    expect(list.body.keys.some((k: { id: string }) => k.id === created.body.id)).toBe(true);
    expect((await roost.call("GET", "/v1/auth/me", { token: created.body.secret })).status).toBe(200);
    const revoked = await roost.call("DELETE", `/v1/keys/${created.body.id}`, { token: t.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect(revoked.body.secret).toBeUndefined();
    const after = await roost.call("GET", "/v1/auth/me", { token: created.body.secret });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe("API key has been revoked");
  });

  test("unknown and malformed key ids → 404", async () => {
    for (const id of ["x", "01a20000-0000-7000-8000-000000000000"]) {
      const r = await roost.call("DELETE", `/v1/keys/${id}`, { token: t.token });
      expect(r.status).toBe(404);
      expect(r.body.error).toBe("Key not found");
    }
  });

  test.each([
    [{ name: "x" }, "kind is required"],
    [{ kind: "root", name: "x" }, "kind must be one of client, agent, import"],
    [{ kind: "agent" }, "name is required"],
    [{ kind: "client", name: "x" }, "app_id is required for client keys"],
    [{ kind: "import", name: "x" }, "app_id is required for import keys"],
    [{ kind: "client", name: "x", app_id: "bad" }, "app_id: must be a UUID"],
    [
      { kind: "agent", name: "x", permissions: ["events:write"] },
      "permissions: events:write not allowed for agent keys. Allowed: events:read, org:read, org:write, org:admin, feedback:read, feedback:write, questionnaires:read, questionnaires:write, issues:read, issues:write, metrics:read, metrics:write, funnels:read, funnels:write",
    ],
    [
      { kind: "client", name: "x", app_id: "$A", permissions: ["org:read"] },
      "permissions: org:read not allowed for client keys. Allowed: events:write",
    ],
    [
      { kind: "agent", name: "x", permissions: ["god"] },
      "permissions must be a list of distinct values from events:write, events:read, org:read, org:write, org:admin, feedback:read, feedback:write, questionnaires:read, questionnaires:write, issues:read, issues:write, metrics:read, metrics:write, funnels:read, funnels:write",
    ],
    [
      { kind: "agent", name: "x", expires_in_days: 0 },
      "expires_in_days must be a whole number from 1 to 3650",
    ],
    [
      { kind: "agent", name: "x", events_per_minute: -5 },
      "events_per_minute must be a positive whole number",
    ],
  ])("POST %p → 400 %s", async (body, message) => {
    const filled = JSON.parse(JSON.stringify(body).replace("$A", t.app.id));
    const r = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { team_id: t.team.id, ...filled },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });
});
