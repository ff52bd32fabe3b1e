import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Apps");
});
afterAll(() => roost.close());

describe("apps", () => {
  test("create answers the app and a working client key, once", async () => {
    const r = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "Android", platform: "android", bundle_id: "com.apps.android" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      project_id: t.project.id,
      team_id: t.team.id,
      name: "Android",
      platform: "android",
      bundle_id: "com.apps.android",
      client_key: { kind: "client", app_id: r.body.id, team_id: t.team.id, permissions: ["events:write"] },
    });
    expect(r.body.client_key.secret).toMatch(/^owl_client_[0-9a-f]{48}$/);
    expect(r.body.client_key.prefix).toBe(`${r.body.client_key.secret.slice(0, 15)}…`);
    const me = await roost.call("GET", "/v1/auth/me", { token: r.body.client_key.secret });
    expect(me.body.key.app_id).toBe(r.body.id);
    const got = await roost.call("GET", `/v1/apps/${r.body.id}`, { token: t.token });
    const { client_key, ...app } = r.body;
    expect(got.body).toEqual(app);
    expect(got.text).not.toContain(client_key.secret);
  });

  test("backend apps need no bundle_id; list filters by project", async () => {
    const p = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "Servers" },
    });
    const a = await roost.call("POST", "/v1/apps", {
      token: t.adminKey,
      body: { project_id: p.body.id, name: "api", platform: "backend" },
    });
    expect(a.status).toBe(201);
    expect(a.body.bundle_id).toBeNull();
    const list = await roost.call("GET", `/v1/apps?project_id=${p.body.id}`, { token: t.token });
    expect(list.body.apps.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    const all = await roost.call("GET", "/v1/apps", { token: t.token });
    expect(all.body.apps.length).toBeGreaterThan(1);
  });

  test("patch renames and changes bundle_id; the platform stays", async () => {
    const r = await roost.call("PATCH", `/v1/apps/${t.app.id}`, {
      token: t.token,
      body: { name: "iPhone", bundle_id: "com.apps.iphone", platform: "web" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "iPhone", bundle_id: "com.apps.iphone", platform: "apple" });
    const clear = await roost.call("PATCH", `/v1/apps/${t.app.id}`, {
      token: t.token,
      body: { bundle_id: null },
    });
    expect(clear.status).toBe(400);
    expect(clear.body.error).toBe("bundle_id is required for apple apps");
  });

  test("delete hides the app", async () => {
    const a = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "tmp", platform: "web", bundle_id: "example.com" },
    });
    expect((await roost.call("DELETE", `/v1/apps/${a.body.id}`, { token: t.token })).body).toEqual({
      id: a.body.id,
      deleted: true,
    });
    expect((await roost.call("GET", `/v1/apps/${a.body.id}`, { token: t.token })).status).toBe(404);
    const list = await roost.call("GET", "/v1/apps", { token: t.token });
    expect(list.body.apps.some((x: { id: string }) => x.id === a.body.id)).toBe(false);
  });

  test.each([
    [{ name: "x", platform: "backend" }, "project_id is required"],
    [{ project_id: "nope", name: "x", platform: "backend" }, "project_id: must be a UUID"],
    [{ project_id: "$P", platform: "backend" }, "name is required"],
    [{ project_id: "$P", name: "x" }, "platform is required"],
    [
      { project_id: "$P", name: "x", platform: "windows" },
      "platform must be one of apple, android, web, backend",
    ],
    [{ project_id: "$P", name: "x", platform: "apple" }, "bundle_id is required for apple apps"],
    [
      { project_id: "$P", name: "x", platform: "web", bundle_id: "" },
      "bundle_id must be 1 to 255 characters, or null",
    ],
    [
      { project_id: "$P", name: "x".repeat(201), platform: "backend" },
      "name: expected string length less or equal to 200",
    ],
  ])("POST %p → 400 %s", async (body, message) => {
    const filled = JSON.parse(JSON.stringify(body).replace("$P", t.project.id));
    const r = await roost.call("POST", "/v1/apps", { token: t.token, body: filled });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test("an unknown project → 404", async () => {
    const r = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: "01a20000-0000-7000-8000-000000000000", name: "x", platform: "backend" },
    });
    expect(r.status).toBe(404);
    expect(r.body.error).toBe("Project not found");
  });
});
