import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Auth");
});
afterAll(() => roost.close());

describe("POST /v1/auth/login", () => {
  test("right email (any case) and password → a token that works", async () => {
    const r = await roost.call("POST", "/v1/auth/login", {
      body: { email: t.email.toUpperCase(), password: t.password },
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ id: t.user.id, email: t.email, name: "Auth" });
    const ttl = Date.parse(r.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(7 * 86400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 86400_000);
    const me = await roost.call("GET", "/v1/auth/me", { token: r.body.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(t.user.id);
  });

  test("wrong password and unknown email get the same 401", async () => {
    const wrong = await roost.call("POST", "/v1/auth/login", {
      body: { email: t.email, password: "nope-nope" },
    });
    const unknown = await roost.call("POST", "/v1/auth/login", {
      body: { email: "who@example.com", password: t.password },
    });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: "Invalid email or password" });
    }
  });

  test.each([
    [{}, "email is required"],
    [{ email: "a@b.c" }, "password is required"],
    [{ email: 5, password: "x" }, "email: expected string"],
    ["{not json", "The request body is not valid JSON"],
  ])("bad body %p → 400 %s", async (body, message) => {
    const r = await roost.call("POST", "/v1/auth/login", { body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test("the password is stored as an argon2id hash", async () => {
    const [row] = await roost.store.read<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = ?",
      [t.user.id],
    );
    expect(row?.password_hash.startsWith("$argon2id$")).toBe(true);
    expect(row?.password_hash).not.toContain(t.password);
  });
});

describe("GET /v1/auth/me", () => {
  test("a user sees their teams with roles", async () => {
    const r = await roost.call("GET", "/v1/auth/me", { token: t.token });
    expect(r.body).toEqual({
      type: "user",
      user: { id: t.user.id, email: t.email, name: "Auth" },
      teams: [{ id: t.team.id, name: t.team.name, slug: t.team.slug, role: "owner" }],
    });
  });

  test("a key sees its own scope", async () => {
    const r = await roost.call("GET", "/v1/auth/me", { token: t.clientKey });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      type: "key",
      key: {
        id: t.app.client_key.id,
        kind: "client",
        team_id: t.team.id,
        app_id: t.app.id,
        permissions: ["events:write"],
      },
    });
  });

  test.each([
    [undefined, "Missing credentials: send Authorization: Bearer <API key or token>"],
    ["Basic abc", "Missing credentials: send Authorization: Bearer <API key or token>"],
    [`Bearer owl_client_${"a".repeat(48)}`, "Invalid API key"],
    ["Bearer not-a-jwt", "Invalid or expired token"],
  ])("authorization %p → 401 %s", async (header, message) => {
    const r = await roost.call("GET", "/v1/auth/me", { headers: header ? { authorization: header } : {} });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe(message);
  });

  test("an expired key → 401", async () => {
    const created = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "short", team_id: t.team.id, expires_in_days: 1 },
    });
    expect(created.status).toBe(201);
    expect((await roost.call("GET", "/v1/auth/me", { token: created.body.secret })).status).toBe(200);
    await roost.store.run("UPDATE api_keys SET expires_at = now() - INTERVAL '1 second' WHERE id = ?::UUID", [
      created.body.id,
    ]);
    // One process forgets its cached keys here; a cluster's nodes learn of the change from the
    // control plane's version (decision 017).
    roost.services.auth?.forgetKeys();
    const r = await roost.call("GET", "/v1/auth/me", { token: created.body.secret });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("API key has expired");
  });

  test("a deleted app's client key stops working at once", async () => {
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "temp", platform: "backend" },
    });
    const key: string = app.body.client_key.secret;
    expect((await roost.call("GET", "/v1/auth/me", { token: key })).status).toBe(200);
    expect((await roost.call("DELETE", `/v1/apps/${app.body.id}`, { token: t.token })).status).toBe(200);
    const r = await roost.call("GET", "/v1/auth/me", { token: key });
    expect(r.status).toBe(401);
  });
});
