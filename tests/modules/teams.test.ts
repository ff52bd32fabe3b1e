import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Teams");
});
afterAll(() => roost.close());

describe("teams", () => {
  test("a user creates a team, becomes its owner, and reads it back", async () => {
    const created = await roost.call("POST", "/v1/teams", { token: t.token, body: { name: "Acme Labs!" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Acme Labs!", slug: "acme-labs", role: "owner" });
    const again = await roost.call("POST", "/v1/teams", { token: t.token, body: { name: "Acme  Labs" } });
    expect(again.body.slug).toBe("acme-labs-2");
    const one = await roost.call("GET", `/v1/teams/${created.body.id}`, { token: t.token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(created.body);
    const list = await roost.call("GET", "/v1/teams", { token: t.token });
    expect(list.body.teams.map((x: { id: string }) => x.id)).toEqual([
      t.team.id,
      created.body.id,
      again.body.id,
    ]);
  });

  test("an explicit slug that is taken → 409", async () => {
    const r = await roost.call("POST", "/v1/teams", {
      token: t.token,
      body: { name: "x", slug: t.team.slug },
    });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe(`A team with slug '${t.team.slug}' already exists`);
  });

  test.each([
    [{}, "name is required"],
    [{ name: "" }, "name: expected string length greater or equal to 1"],
    [{ name: "x".repeat(201) }, "name: expected string length less or equal to 200"],
    [{ name: "ok", slug: "Not OK" }, "slug must be 1 to 50 characters of a-z, 0-9 and -"],
    [{ name: "ok", slug: "a".repeat(51) }, "slug must be 1 to 50 characters of a-z, 0-9 and -"],
  ])("POST /v1/teams %p → 400 %s", async (body, message) => {
    const r = await roost.call("POST", "/v1/teams", { token: t.token, body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test("an API key cannot create a team (teams belong to users)", async () => {
    const r = await roost.call("POST", "/v1/teams", { token: t.adminKey, body: { name: "x" } });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe(
      "This needs a signed-in user (a token from POST /v1/auth/login), not an API key",
    );
  });

  test("GET /v1/teams/:id with a malformed id → 404", async () => {
    const r = await roost.call("GET", "/v1/teams/not-a-uuid", { token: t.token });
    expect(r.status).toBe(404);
    expect(r.body.error).toBe("Team not found");
  });
});

describe("members", () => {
  test("an owner adds a new user, who can sign in and read but not write", async () => {
    const r = await roost.call("POST", `/v1/teams/${t.team.id}/members`, {
      token: t.token,
      body: { email: "Member@Example.com", name: "Mem", password: "member-password", role: "member" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      team_id: t.team.id,
      role: "member",
      created: true,
      user: { email: "member@example.com", name: "Mem" },
    });
    const login = await roost.call("POST", "/v1/auth/login", {
      body: { email: "member@example.com", password: "member-password" },
    });
    const token = login.body.token;
    expect((await roost.call("GET", `/v1/projects/${t.project.id}`, { token })).status).toBe(200);
    const write = await roost.call("PATCH", `/v1/projects/${t.project.id}`, {
      token,
      body: { name: "nope" },
    });
    expect(write.status).toBe(403);
    expect(write.body.error).toBe("Missing permission: org:write");
    const keys = await roost.call("POST", "/v1/keys", {
      token,
      body: { kind: "agent", name: "x", team_id: t.team.id },
    });
    expect(keys.status).toBe(403);
    expect(keys.body.error).toBe("Missing permission: org:admin");
  });

  test("an existing user is added without a password; adding twice → 409", async () => {
    const other = await roost.tenant("Other");
    const body = { email: other.email, role: "admin" };
    const r = await roost.call("POST", `/v1/teams/${t.team.id}/members`, { token: t.token, body });
    expect(r.status).toBe(201);
    expect(r.body.created).toBe(false);
    const me = await roost.call("GET", "/v1/auth/me", {
      token: (
        await roost.call("POST", "/v1/auth/login", { body: { email: other.email, password: other.password } })
      ).body.token,
    });
    expect(me.body.teams.map((x: { id: string; role: string }) => [x.id, x.role])).toContainEqual([
      t.team.id,
      "admin",
    ]);
    const twice = await roost.call("POST", `/v1/teams/${t.team.id}/members`, { token: t.token, body });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe(`${other.email} is already a member of this team`);
  });

  test("an admin cannot make owners", async () => {
    const admin = await roost.call("POST", `/v1/teams/${t.team.id}/members`, {
      token: t.token,
      body: { email: "admin2@example.com", password: "admin-password", role: "admin" },
    });
    expect(admin.status).toBe(201);
    const token = (
      await roost.call("POST", "/v1/auth/login", {
        body: { email: "admin2@example.com", password: "admin-password" },
      })
    ).body.token;
    const r = await roost.call("POST", `/v1/teams/${t.team.id}/members`, {
      token,
      body: { email: "owner2@example.com", password: "owner-password", role: "owner" },
    });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("Only an owner can add another owner");
  });

  test.each([
    [{ role: "member" }, "email is required"],
    [{ email: "not-an-email", role: "member" }, "email must be an email address"],
    [{ email: "x@example.com" }, "role is required"],
    [{ email: "x@example.com", role: "boss" }, "role must be one of owner, admin, member"],
    [{ email: "x@example.com", role: "member", password: "short" }, "password must be 8 to 1024 characters"],
    [{ email: "brand-new@example.com", role: "member" }, "password is required to create a new user"],
  ])("bad member %p → 400 %s", async (body, message) => {
    const r = await roost.call("POST", `/v1/teams/${t.team.id}/members`, { token: t.token, body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });
});
