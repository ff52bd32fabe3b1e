import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Outcomes");
});
afterAll(() => roost.close());

/** A fresh project with one backend app, so each test reads only its own outcomes. */
async function freshApp() {
  const p = await roost.call("POST", "/v1/projects", {
    token: t.token,
    body: { team_id: t.team.id, name: "p" },
  });
  const a = await roost.call("POST", "/v1/apps", {
    token: t.token,
    body: { project_id: p.body.id, name: "a", platform: "backend" },
  });
  return { projectId: p.body.id as string, appId: a.body.id as string };
}

const outcomes = (projectId: string) => roost.outcomes(projectId);

describe("POST /v1/outcomes", () => {
  test("records rows as given, with defaults quantity 1 and times_seen 1", async () => {
    const a = await freshApp();
    const r = await roost.call("POST", "/v1/outcomes", {
      token: t.adminKey,
      body: {
        outcomes: [
          {
            timestamp: "2024-01-15T10:30:00Z",
            project_id: a.projectId,
            outcome: "accepted",
            category: "transaction",
            quantity: 40,
            times_seen: 4,
          },
          {
            timestamp: "2024-01-15T10:31:00Z",
            project_id: a.projectId,
            outcome: "rate_limited",
            reason: "smart_rate_limit",
            category: "error",
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ recorded: 2 });
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "accepted", reason: null, category: "transaction", quantity: 40, times_seen: 4 },
      { outcome: "rate_limited", reason: "smart_rate_limit", category: "error", quantity: 1, times_seen: 1 },
    ]);
  });

  test.each([
    [
      { outcome: "lost" },
      "outcomes.0.outcome must be one of accepted, filtered, rate_limited, invalid, abuse, client_discard, cardinality_limited",
    ],
    [{ category: "widgets" }, "outcomes.0.category must be one of"],
    [{ quantity: -2 }, "outcomes.0.quantity must be a whole number, 0 or more"],
    [{ project_id: "nope" }, "outcomes.0.project_id: must be a UUID"],
    [{ timestamp: "soon" }, "outcomes.0.timestamp must be an ISO-8601 date"],
    [
      { project_id: "01a20000-0000-7000-8000-000000000000" },
      "outcomes.0.project_id is not a project of your team",
    ],
  ])("bad row %p → 400 naming the index", async (over, message) => {
    const row = {
      timestamp: "2024-01-15T10:30:00Z",
      project_id: t.project.id,
      outcome: "accepted",
      category: "error",
      ...over,
    };
    const r = await roost.call("POST", "/v1/outcomes", { token: t.adminKey, body: { outcomes: [row] } });
    expect(r.status).toBe(400);
    expect(r.body.error.startsWith(message)).toBe(true);
  });

  test("another team's project → 400; a client key → 403; a read-only key → 403", async () => {
    const other = await roost.tenant("OtherOutcomes");
    const row = {
      timestamp: "2024-01-15T10:30:00Z",
      project_id: other.project.id,
      outcome: "accepted",
      category: "error",
    };
    const r = await roost.call("POST", "/v1/outcomes", { token: t.adminKey, body: { outcomes: [row] } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("outcomes.0.project_id is not a project of your team");
    expect(
      (await roost.call("POST", "/v1/outcomes", { token: t.clientKey, body: { outcomes: [row] } })).status,
    ).toBe(403);
    const reader = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "r", team_id: t.team.id },
    });
    expect(
      (await roost.call("POST", "/v1/outcomes", { token: reader.body.secret, body: { outcomes: [row] } }))
        .status,
    ).toBe(403);
    expect(await outcomes(other.project.id)).toEqual([]);
  });
});
