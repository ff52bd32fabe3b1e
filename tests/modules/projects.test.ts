import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Proj");
});
afterAll(() => roost.close());

describe("projects", () => {
  test("create with defaults, read, list by team", async () => {
    const r = await roost.call("POST", "/v1/projects", {
      token: t.adminKey,
      body: { name: "Backend Services" },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      team_id: t.team.id,
      name: "Backend Services",
      slug: "backend-services",
      retention_days: 90,
      status: "active",
      filters: { levels: [], environments: [], app_versions: [], messages: [], dev_data: false },
      quota: { events_per_minute: null, abuse_events_per_hour: null, attachment_bytes: 5 * 1024 ** 3 },
    });
    expect((await roost.call("GET", `/v1/projects/${r.body.id}`, { token: t.token })).body).toEqual(r.body);
    const list = await roost.call("GET", `/v1/projects?team_id=${t.team.id}`, { token: t.token });
    expect(list.body.projects.map((p: { id: string }) => p.id)).toEqual([t.project.id, r.body.id]);
  });

  test("create with every field, then patch some (filters and quota merge)", async () => {
    const r = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: {
        team_id: t.team.id,
        name: "Full",
        slug: "full",
        retention_days: 30,
        status: "disabled",
        filters: { levels: ["debug"], app_versions: ["1.0.*"] },
        quota: { events_per_minute: 600 },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.filters).toEqual({
      levels: ["debug"],
      environments: [],
      app_versions: ["1.0.*"],
      messages: [],
      dev_data: false,
    });
    const p = await roost.call("PATCH", `/v1/projects/${r.body.id}`, {
      token: t.token,
      body: { status: "active", filters: { dev_data: true }, quota: { abuse_events_per_hour: 100000 } },
    });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      name: "Full",
      slug: "full",
      retention_days: 30,
      status: "active",
      filters: { levels: ["debug"], app_versions: ["1.0.*"], dev_data: true },
      quota: { events_per_minute: 600, abuse_events_per_hour: 100000 },
    });
    expect(Date.parse(p.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(r.body.updated_at));
  });

  test("slugs are unique among a team's live projects only", async () => {
    const a = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "A", slug: "same" },
    });
    const dup = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "B", slug: "same" },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toBe("A project with slug 'same' already exists in this team");
    const patch = await roost.call("PATCH", `/v1/projects/${t.project.id}`, {
      token: t.token,
      body: { slug: "same" },
    });
    expect(patch.status).toBe(409);
    const other = await roost.tenant("OtherTeam");
    const elsewhere = await roost.call("POST", "/v1/projects", {
      token: other.token,
      body: { team_id: other.team.id, name: "A", slug: "same" },
    });
    expect(elsewhere.status).toBe(201);
    expect((await roost.call("DELETE", `/v1/projects/${a.body.id}`, { token: t.token })).status).toBe(200);
    const reuse = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "C", slug: "same" },
    });
    expect(reuse.status).toBe(201);
  });

  test("delete hides the project and its apps at once", async () => {
    const p = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "Doomed" },
    });
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: p.body.id, name: "srv", platform: "backend" },
    });
    const d = await roost.call("DELETE", `/v1/projects/${p.body.id}`, { token: t.token });
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ id: p.body.id, deleted: true });
    expect((await roost.call("GET", `/v1/projects/${p.body.id}`, { token: t.token })).status).toBe(404);
    expect((await roost.call("GET", `/v1/apps/${app.body.id}`, { token: t.token })).status).toBe(404);
    expect((await roost.call("GET", "/v1/auth/me", { token: app.body.client_key.secret })).status).toBe(401);
    const list = await roost.call("GET", "/v1/projects", { token: t.token });
    expect(list.body.projects.some((x: { id: string }) => x.id === p.body.id)).toBe(false);
    expect((await roost.call("DELETE", `/v1/projects/${p.body.id}`, { token: t.token })).status).toBe(404);
  });

  test("a user in several teams must name team_id", async () => {
    await roost.call("POST", "/v1/teams", { token: t.token, body: { name: "Second" } });
    const r = await roost.call("POST", "/v1/projects", { token: t.token, body: { name: "Where?" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("team_id is required: you belong to more than one team (or none)");
  });

  test.each([
    [{}, "name is required"],
    [{ name: "" }, "name: expected string length greater or equal to 1"],
    [{ name: "x", team_id: "abc" }, "team_id: must be a UUID"],
    [{ name: "x", slug: "Bad Slug" }, "slug must be 1 to 50 characters of a-z, 0-9 and -"],
    [{ name: "x", retention_days: 0 }, "retention_days must be a whole number from 1 to 3650"],
    [{ name: "x", retention_days: 3651 }, "retention_days must be a whole number from 1 to 3650"],
    [{ name: "x", retention_days: 1.5 }, "retention_days must be a whole number from 1 to 3650"],
    [{ name: "x", status: "paused" }, "status must be active or disabled"],
    [{ name: "x", filters: { levels: ["loud"] } }, "filters.levels may hold only info, debug, warn, error"],
    [{ name: "x", filters: { dev_data: "yes" } }, "filters.dev_data must be true or false"],
    [
      { name: "x", quota: { events_per_minute: 0 } },
      "quota.events_per_minute must be a positive whole number or null",
    ],
    [
      { name: "x", quota: { attachment_bytes: -1 } },
      "quota.attachment_bytes must be a whole number of bytes, 0 or more",
    ],
  ])("POST %p → 400 %s", async (body, message) => {
    const r = await roost.call("POST", "/v1/projects", { token: t.adminKey, body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test.each([
    [{ name: "" }, "name: expected string length greater or equal to 1"],
    [{ retention_days: "ninety" }, "retention_days must be a whole number from 1 to 3650"],
    [{ status: "gone" }, "status must be active or disabled"],
  ])("PATCH %p → 400 %s", async (body, message) => {
    const r = await roost.call("PATCH", `/v1/projects/${t.project.id}`, { token: t.adminKey, body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test("unknown and malformed ids → 404", async () => {
    for (const id of ["nope", "01a2021b-0000-7000-8000-000000000000"]) {
      for (const method of ["GET", "PATCH", "DELETE"]) {
        const r = await roost.call(method, `/v1/projects/${id}`, {
          token: t.token,
          body: method === "PATCH" ? {} : undefined,
        });
        expect(r.status).toBe(404);
        expect(r.body.error).toBe("Project not found");
      }
    }
  });
});
