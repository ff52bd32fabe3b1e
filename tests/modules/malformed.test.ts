import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * Issue 16's routes with every kind of broken input: each answer is a 4xx with a message, never a
 * 500. (Each route's own test checks the exact messages of the likely mistakes.)
 */
let roost: Roost;
let t: Tenant;
let feedbackId: string;
let questionnaireId: string;

const BODIES: unknown[] = [
  "{",
  "[]",
  "null",
  "42",
  '"text"',
  {},
  { user_id: 5, anonymous_id: [], properties: null, message: {}, answers: [], status: 7, body: false },
  { user_id: "x".repeat(10_000), anonymous_id: `owl_anon_${"y".repeat(10_000)}`, message: "m".repeat(5000) },
  { properties: { ["k".repeat(60)]: "v" }, user_id: "u", session_id: "not-a-uuid", is_complete: "yes" },
  { slug: "../../etc", name: "", schema: { version: 1, questions: [null] }, app_id: "not-a-uuid" },
];

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Broken");
  feedbackId = (
    await roost.call("POST", "/v1/feedback", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, message: "m" },
    })
  ).body.id;
  questionnaireId = (
    await roost.call("POST", `/v1/projects/${t.project.id}/questionnaires`, {
      token: t.token,
      body: {
        slug: "q",
        name: "Q",
        schema: { version: 1, questions: [{ id: "a", type: "nps", title: "t", required: true }] },
      },
    })
  ).body.id;
});
afterAll(() => roost.close());

describe("malformed input is a 4xx, never a 500", () => {
  const writes = () =>
    [
      ["POST", "/v1/identity/claim", t.clientKey],
      ["POST", "/v1/identity/properties", t.clientKey],
      ["POST", "/v1/identity/attribution/apple-search-ads", t.clientKey],
      ["POST", "/v1/feedback", t.clientKey],
      ["POST", "/v1/questionnaires/q/responses", t.clientKey],
      ["POST", "/v1/questionnaires/dismiss", t.clientKey],
      ["PATCH", `/v1/projects/${t.project.id}/feedback/${feedbackId}`, t.token],
      ["POST", `/v1/projects/${t.project.id}/feedback/${feedbackId}/comments`, t.token],
      ["POST", `/v1/projects/${t.project.id}/questionnaires`, t.token],
      ["PATCH", `/v1/projects/${t.project.id}/questionnaires/${questionnaireId}`, t.token],
    ] as const;

  test("bodies", async () => {
    for (const [method, path, token] of writes()) {
      for (const body of BODIES) {
        const r = await roost.call(method, path, { token, body });
        expect({ method, path, body, status: r.status >= 400 && r.status < 500 }).toEqual({
          method,
          path,
          body,
          status: true,
        });
        expect(typeof r.body.error).toBe("string");
      }
    }
  });

  test("paths and queries", async () => {
    const reads = [
      "/v1/app-users?limit=abc&sort=x",
      "/v1/app-users?cursor=%%%",
      "/v1/app-users?since=2024-13-45",
      "/v1/app-users/00000000-0000-0000-0000-000000000000",
      "/v1/apps/not-a-uuid/users",
      "/v1/feedback?team_id=x",
      "/v1/feedback?cursor=W10",
      "/v1/feedback/count?since=never",
      "/v1/feedback/count?status=x",
      `/v1/projects/not-a-uuid/feedback`,
      `/v1/projects/${t.project.id}/feedback/not-a-uuid`,
      `/v1/projects/${t.project.id}/feedback?is_dev=maybe&data_mode=x`,
      `/v1/projects/${t.project.id}/questionnaires?cursor=x`,
      `/v1/projects/${t.project.id}/questionnaires/not-a-uuid`,
      `/v1/projects/${t.project.id}/questionnaires/${questionnaireId}/responses?status=x`,
    ];
    for (const path of reads) {
      const r = await roost.call("GET", path, { token: t.token });
      expect({ path, client: r.status >= 400 && r.status < 500 }).toEqual({ path, client: true });
    }
    for (const path of ["/v1/questionnaires/%00", "/v1/questionnaires/x?user_id=&force=maybe"]) {
      const r = await roost.call("GET", path, { token: t.clientKey });
      expect({ path, client: r.status >= 400 && r.status < 500 }).toEqual({ path, client: true });
    }
  });
});
