import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KEY_KIND_PERMISSIONS } from "../src/modules/access/permissions";
import { type Roost, startRoost, type Tenant } from "./helpers";

/**
 * Every authenticated route, once: adding a route here gives it the 401, 403 and foreign-team
 * checks. `foreign` marks routes addressed by another team's object id, which must answer 404.
 */
type Route = {
  method: string;
  path: (t: Tenant) => string;
  permission: string;
  body?: (t: Tenant) => unknown;
  foreign?: string;
};

const routes: Route[] = [
  { method: "GET", path: () => "/v1/release-health", permission: "events:read" },
  { method: "GET", path: () => "/v1/teams", permission: "org:read" },
  { method: "GET", path: (t) => `/v1/teams/${t.team.id}`, permission: "org:read", foreign: "Team not found" },
  {
    method: "POST",
    path: (t) => `/v1/teams/${t.team.id}/members`,
    permission: "org:admin",
    body: () => ({ email: "new@example.com", password: "longenough", role: "member" }),
    foreign: "Team not found",
  },
  { method: "GET", path: () => "/v1/projects", permission: "org:read" },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}`,
    permission: "org:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: () => "/v1/projects",
    permission: "org:write",
    body: (t) => ({ team_id: t.team.id, name: "x" }),
    foreign: "Team not found",
  },
  {
    method: "PATCH",
    path: (t) => `/v1/projects/${t.project.id}`,
    permission: "org:write",
    body: () => ({ name: "renamed" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) => `/v1/projects/${t.project.id}`,
    permission: "org:admin",
    foreign: "Project not found",
  },
  { method: "GET", path: () => "/v1/apps", permission: "org:read" },
  { method: "GET", path: (t) => `/v1/apps/${t.app.id}`, permission: "org:read", foreign: "App not found" },
  {
    method: "POST",
    path: () => "/v1/apps",
    permission: "org:write",
    body: (t) => ({ project_id: t.project.id, name: "x", platform: "backend" }),
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) => `/v1/apps/${t.app.id}`,
    permission: "org:write",
    body: () => ({ name: "renamed" }),
    foreign: "App not found",
  },
  {
    method: "DELETE",
    path: (t) => `/v1/apps/${t.app.id}`,
    permission: "org:admin",
    foreign: "App not found",
  },
  { method: "GET", path: () => "/v1/keys", permission: "org:admin" },
  {
    method: "POST",
    path: () => "/v1/keys",
    permission: "org:admin",
    body: (t) => ({ kind: "client", name: "x", app_id: t.app.id }),
    foreign: "App not found",
  },
  {
    method: "POST",
    path: () => "/v1/outcomes",
    permission: "org:admin",
    body: (t) => ({
      outcomes: [
        {
          timestamp: "2024-01-01T00:00:00Z",
          project_id: t.project.id,
          outcome: "accepted",
          category: "error",
        },
      ],
    }),
  },
  // Issue 16's routes. Ids of objects the owner's team holds are made in beforeAll.
  { method: "GET", path: () => "/v1/app-users", permission: "events:read" },
  {
    method: "GET",
    path: (t) => `/v1/app-users/${fixture(t).user}`,
    permission: "events:read",
    foreign: "User not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/apps/${t.app.id}/users`,
    permission: "events:read",
    foreign: "App not found",
  },
  { method: "GET", path: () => "/v1/feedback", permission: "feedback:read" },
  { method: "GET", path: () => "/v1/feedback/count", permission: "feedback:read" },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/feedback`,
    permission: "feedback:read",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}`,
    permission: "feedback:read",
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) => `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}`,
    permission: "feedback:write",
    body: () => ({ status: "in_review" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) => `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}`,
    permission: "feedback:write",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}/comments`,
    permission: "feedback:write",
    body: () => ({ body: "looking" }),
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) =>
      `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}/comments/${fixture(t).comment}`,
    permission: "feedback:write",
    body: () => ({ body: "edited" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) =>
      `/v1/projects/${t.project.id}/feedback/${fixture(t).feedback}/comments/${fixture(t).comment}`,
    permission: "feedback:write",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires`,
    permission: "questionnaires:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires`,
    permission: "questionnaires:write",
    body: () => ({ slug: "sec", name: "x", schema: {} }),
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}`,
    permission: "questionnaires:read",
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}`,
    permission: "questionnaires:write",
    body: () => ({ name: "renamed" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}`,
    permission: "questionnaires:write",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}/responses`,
    permission: "questionnaires:read",
    foreign: "Project not found",
  },
  { method: "GET", path: () => "/v1/questionnaires", permission: "questionnaires:read" },
  { method: "GET", path: () => "/v1/questionnaires/count", permission: "questionnaires:read" },
  {
    method: "GET",
    path: (t) =>
      `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}/responses/${fixture(t).response}`,
    permission: "questionnaires:read",
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) =>
      `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}/responses/${fixture(t).response}`,
    permission: "questionnaires:write",
    body: () => ({ status: "addressed" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) =>
      `/v1/projects/${t.project.id}/questionnaires/${fixture(t).questionnaire}/responses/${fixture(t).response}`,
    permission: "questionnaires:write",
  },
  // Issue 17's routes.
  { method: "GET", path: () => "/v1/issues", permission: "issues:read" },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/issues`,
    permission: "issues:read",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/issues/${fixture(t).issue}`,
    permission: "issues:read",
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) => `/v1/projects/${t.project.id}/issues/${fixture(t).issue}`,
    permission: "issues:write",
    body: () => ({ status: "in_progress" }),
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/issues/${fixture(t).issue}/merge`,
    permission: "issues:write",
    body: () => ({ source_issue_id: crypto.randomUUID() }),
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/issues/${fixture(t).issue}/comments`,
    permission: "issues:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/issues/${fixture(t).issue}/comments`,
    permission: "issues:write",
    body: () => ({ body: "hello" }),
    foreign: "Project not found",
  },
  {
    method: "PATCH",
    path: (t) =>
      `/v1/projects/${t.project.id}/issues/${fixture(t).issue}/comments/${fixture(t).issueComment}`,
    permission: "issues:write",
    body: () => ({ body: "edited" }),
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) =>
      `/v1/projects/${t.project.id}/issues/${fixture(t).issue}/comments/${fixture(t).issueComment}`,
    permission: "issues:write",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/notifications`,
    permission: "issues:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/notifications`,
    permission: "issues:write",
    body: () => ({ url: "https://hooks.example.com/roost" }),
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/notifications/${fixture(t).destination}/deliveries`,
    permission: "issues:read",
    foreign: "Project not found",
  },
  {
    method: "DELETE",
    path: (t) => `/v1/projects/${t.project.id}/notifications/${fixture(t).destination}`,
    permission: "issues:write",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/metrics`,
    permission: "metrics:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/metrics`,
    permission: "metrics:write",
    body: () => ({ name: "New", slug: "sec-new" }),
    foreign: "Project not found",
  },
  ...["GET", "PATCH", "DELETE"].map((method) => ({
    method,
    path: (t: Tenant) => `/v1/projects/${t.project.id}/metrics/sec-m`,
    permission: method === "GET" ? "metrics:read" : "metrics:write",
    body: method === "PATCH" ? () => ({ name: "Renamed" }) : undefined,
    foreign: "Project not found",
  })),
  ...["query", "events"].map((tail) => ({
    method: "GET",
    path: (t: Tenant) => `/v1/projects/${t.project.id}/metrics/sec-m/${tail}`,
    permission: "metrics:read",
    foreign: "Project not found",
  })),
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/metric-stats`,
    permission: "metrics:read",
    foreign: "Project not found",
  },
  { method: "GET", path: () => "/v1/metric-stats", permission: "metrics:read" },
  { method: "GET", path: () => "/v1/metrics/completions/count", permission: "metrics:read" },
  {
    method: "GET",
    path: (t) => `/v1/metrics/by-id/${fixture(t).metric}`,
    permission: "metrics:read",
    foreign: "Metric not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/funnels`,
    permission: "funnels:read",
    foreign: "Project not found",
  },
  {
    method: "POST",
    path: (t) => `/v1/projects/${t.project.id}/funnels`,
    permission: "funnels:write",
    body: () => ({ name: "New", slug: "sec-new", steps: [{ name: "A", event_filter: { step_name: "a" } }] }),
    foreign: "Project not found",
  },
  ...["GET", "PATCH", "DELETE"].map((method) => ({
    method,
    path: (t: Tenant) => `/v1/projects/${t.project.id}/funnels/sec-f`,
    permission: method === "GET" ? "funnels:read" : "funnels:write",
    body: method === "PATCH" ? () => ({ name: "Renamed" }) : undefined,
    foreign: "Project not found",
  })),
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/funnels/sec-f/query`,
    permission: "funnels:read",
    foreign: "Project not found",
  },
  {
    method: "GET",
    path: (t) => `/v1/projects/${t.project.id}/experiments`,
    permission: "funnels:read",
    foreign: "Project not found",
  },
  { method: "GET", path: () => "/v1/funnels/completions/count", permission: "funnels:read" },
  {
    method: "GET",
    path: (t) => `/v1/funnels/by-id/${fixture(t).funnel}`,
    permission: "funnels:read",
    foreign: "Funnel not found",
  },
];

/** Objects of a team the routes above address (placeholders in the tests' names). */
const fixtures = new Map<
  string,
  {
    user: string;
    feedback: string;
    comment: string;
    questionnaire: string;
    response: string;
    issue: string;
    issueComment: string;
    destination: string;
    metric: string;
    funnel: string;
  }
>();
const fixture = (t: Tenant) =>
  fixtures.get(t.team.id) ?? {
    user: ":user",
    feedback: ":feedback",
    comment: ":comment",
    questionnaire: ":questionnaire",
    response: ":response",
    issue: ":issue",
    issueComment: ":issueComment",
    destination: ":destination",
    metric: ":metric",
    funnel: ":funnel",
  };

async function makeFixtures(t: Tenant) {
  await roost.call("POST", "/v1/identity/properties", {
    token: t.clientKey,
    body: { user_id: "sec-user", properties: { a: "b" } },
  });
  const user = (
    await roost.call("GET", "/v1/app-users?user_id=sec-user&data_mode=all", { token: t.adminKey })
  ).body.users[0].id;
  const feedback = (
    await roost.call("POST", "/v1/feedback", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, message: "secure?" },
    })
  ).body.id;
  const comment = (
    await roost.call("POST", `/v1/projects/${t.project.id}/feedback/${feedback}/comments`, {
      token: t.token,
      body: { body: "first" },
    })
  ).body.id;
  const questionnaire = (
    await roost.call("POST", `/v1/projects/${t.project.id}/questionnaires`, {
      token: t.token,
      body: {
        slug: "sec-q",
        name: "Q",
        schema: { version: 1, questions: [{ id: "q", type: "nps", title: "t", required: true }] },
      },
    })
  ).body.id;
  const response = (
    await roost.call("POST", "/v1/questionnaires/sec-q/responses", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, user_id: "sec-user", answers: { q: 5 }, is_complete: true },
    })
  ).body.id;
  await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: {
      bundle_id: t.app.bundle_id,
      events: [
        { client_event_id: "sec-e", session_id: "s", level: "error", message: "secure?", environment: "ios" },
      ],
    },
  });
  await roost.issuesSettled();
  const issue = (await roost.call("GET", `/v1/projects/${t.project.id}/issues`, { token: t.token })).body
    .issues[0].id;
  const issueComment = (
    await roost.call("POST", `/v1/projects/${t.project.id}/issues/${issue}/comments`, {
      token: t.token,
      body: { body: "first" },
    })
  ).body.id;
  const destination = (
    await roost.call("POST", `/v1/projects/${t.project.id}/notifications`, {
      token: t.token,
      body: { url: "https://hooks.example.com/fixture" },
    })
  ).body.id;
  const metric = (
    await roost.call("POST", `/v1/projects/${t.project.id}/metrics`, {
      token: t.token,
      body: { name: "Secure", slug: "sec-m" },
    })
  ).body.id;
  const funnel = (
    await roost.call("POST", `/v1/projects/${t.project.id}/funnels`, {
      token: t.token,
      body: { name: "Secure", slug: "sec-f", steps: [{ name: "A", event_filter: { step_name: "a" } }] },
    })
  ).body.id;
  fixtures.set(t.team.id, {
    metric,
    funnel,
    user,
    feedback,
    comment,
    questionnaire,
    response,
    issue,
    issueComment,
    destination,
  });
}

let roost: Roost;
let owner: Tenant;
let stranger: Tenant;
let revokedKey: string;
let readOnlyKey: string;

beforeAll(async () => {
  roost = await startRoost();
  owner = await roost.tenant("Owner");
  stranger = await roost.tenant("Stranger");
  const readOnly = await roost.call("POST", "/v1/keys", {
    token: owner.token,
    body: { kind: "agent", name: "reader", team_id: owner.team.id },
  });
  readOnlyKey = readOnly.body.secret;
  const revoked = await roost.call("POST", "/v1/keys", {
    token: owner.token,
    body: { kind: "agent", name: "gone", team_id: owner.team.id, permissions: ["org:admin", "org:read"] },
  });
  revokedKey = revoked.body.secret;
  await roost.call("DELETE", `/v1/keys/${revoked.body.id}`, { token: owner.token });
  await makeFixtures(owner);
});
afterAll(() => roost.close());

describe.each(
  routes.map(
    (r) =>
      [
        `${r.method} ${r.path({ team: { id: ":team" }, project: { id: ":project" }, app: { id: ":app" } } as Tenant)}`,
        r,
      ] as const,
  ),
)("%s", (_, route) => {
  const send = (token: string | undefined, as: Tenant = owner) =>
    roost.call(route.method, route.path(as), { token, body: route.body?.(as) });

  test("no credentials → 401", async () => {
    const r = await send(undefined);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("Missing credentials: send Authorization: Bearer <API key or token>");
  });

  test("unknown key → 401", async () => {
    const r = await send(`owl_agent_${"0".repeat(48)}`);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("Invalid API key");
  });

  test("revoked key → 401", async () => {
    const r = await send(revokedKey);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("API key has been revoked");
  });

  test("forged token → 401", async () => {
    const r = await send("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("Invalid or expired token");
  });

  test(`client key → 403 Missing permission: ${route.permission}`, async () => {
    const r = await send(owner.clientKey);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe(`Missing permission: ${route.permission}`);
  });

  // The read-only key is an agent key with the default permissions (events:read, org:read).
  if (!(KEY_KIND_PERMISSIONS.agent.default as readonly string[]).includes(route.permission)) {
    test("read-only agent key → 403", async () => {
      const r = await send(readOnlyKey);
      expect(r.status).toBe(403);
      expect(r.body.error).toBe(`Missing permission: ${route.permission}`);
    });
  }

  if (route.foreign) {
    test("another team's object → 404, for its key and its owner", async () => {
      for (const token of [stranger.adminKey, stranger.token]) {
        const r = await roost.call(route.method, route.path(owner), { token, body: route.body?.(owner) });
        expect(r.status).toBe(404);
        expect(r.body.error).toBe(route.foreign!);
      }
    });
  }
});

describe("lists never show another team's objects", () => {
  for (const [path, key] of [
    ["/v1/teams", "teams"],
    ["/v1/projects", "projects"],
    ["/v1/apps", "apps"],
    ["/v1/keys", "keys"],
  ] as const) {
    test(path, async () => {
      const mine = await roost.call("GET", path, { token: stranger.adminKey });
      expect(mine.status).toBe(200);
      expect(mine.body[key].length).toBeGreaterThan(0);
      const teamIds = mine.body[key].map((o: { team_id?: string; id: string }) => o.team_id ?? o.id);
      expect(new Set(teamIds)).toEqual(new Set([stranger.team.id]));
      const asked = await roost.call("GET", `${path}?team_id=${owner.team.id}`, { token: stranger.adminKey });
      if (key === "projects" || key === "keys") expect(asked.body[key]).toEqual([]);
    });
  }
});

describe("key secrets", () => {
  test("a secret appears in exactly one response and never in the database", async () => {
    const t = await roost.tenant("Secretive");
    const created = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "once", team_id: t.team.id },
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^owl_agent_[0-9a-f]{48}$/);
    const afterwards = [
      await roost.call("GET", "/v1/keys", { token: t.token }),
      await roost.call("GET", "/v1/auth/me", { token: secret }),
      await roost.call("DELETE", `/v1/keys/${created.body.id}`, { token: t.token }),
      await roost.call("GET", "/v1/keys", { token: t.adminKey }),
    ];
    for (const r of afterwards) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(secret.slice("owl_agent_".length));
    }
    const appSecret = t.clientKey;
    // What the store keeps: the embedded database file, or on a cluster every key row as text.
    let file: string;
    if (roost.onCluster) {
      const rows = await roost.store.read<{ row: string }>(
        "SELECT row_to_json(k)::text AS row FROM api_keys k",
      );
      file = rows.map((r) => r.row).join("\n");
    } else {
      await roost.store.run("CHECKPOINT");
      file = readFileSync(join(roost.dir, "roost.duckdb")).toString("latin1");
    }
    for (const s of [secret, appSecret, t.adminKey]) {
      expect(file.includes(s)).toBe(false);
      expect(file.includes(s.slice(s.lastIndexOf("_") + 1))).toBe(false);
    }
    // The file does hold the hash, which shows the grep reads the right file.
    const hash = new Bun.CryptoHasher("sha256").update(secret).digest("hex");
    expect(file.includes(hash)).toBe(true);
  });
});
