import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let other: Tenant;

const SCHEMA = {
  version: 1,
  questions: [
    { id: "q_nps", type: "nps", title: "How likely are you to recommend us?", required: true },
    {
      id: "q_choice",
      type: "single_choice",
      title: "What brought you here?",
      required: true,
      options: [
        { id: "search", label: "Search" },
        { id: "friend", label: "A friend" },
      ],
    },
    { id: "q_text", type: "text", title: "Anything else?", required: false, multiline: true },
    { id: "q_rating", type: "rating", title: "Rate onboarding", required: false, scale: 5 },
  ],
};

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Survey");
  other = await roost.tenant("SurveyOther");
});
afterAll(() => roost.close());

const manage = (method: string, suffix: string, body?: unknown, token = t.token) =>
  roost.call(method, `/v1/projects/${t.project.id}/questionnaires${suffix}`, { token, body });
const fetchSpec = (slug: string, query = "", token = t.clientKey) =>
  roost.call("GET", `/v1/questionnaires/${slug}?bundle_id=${t.app.bundle_id}${query}`, { token });
const respond = (slug: string, body: Record<string, unknown>, token = t.clientKey) =>
  roost.call("POST", `/v1/questionnaires/${slug}/responses`, {
    token,
    body: { bundle_id: t.app.bundle_id, ...body },
  });

describe("questionnaires", () => {
  let id: string;

  test("a project defines one; the SDK fetches it", async () => {
    const created = await manage("POST", "", {
      slug: "post-onboarding",
      name: "Post-onboarding survey",
      description: "Two minutes",
      schema: SCHEMA,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: "post-onboarding", is_active: true, response_count: 0 });
    id = created.body.id;
    const again = await manage("POST", "", { slug: "post-onboarding", name: "x", schema: SCHEMA });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe(
      'A questionnaire with slug "post-onboarding" already exists in this project',
    );

    const r = await fetchSpec("post-onboarding", "&user_id=owl_anon_s1");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      eligible: true,
      questionnaire: {
        id,
        slug: "post-onboarding",
        name: "Post-onboarding survey",
        description: "Two minutes",
        schema: SCHEMA,
      },
    });
    expect((await fetchSpec("nope")).body).toEqual({ error: "Questionnaire not found" });
  });

  test("drafts merge, the submit checks required answers, a second submit is refused", async () => {
    const first = await respond("post-onboarding", { user_id: "owl_anon_s1", answers: { q_nps: 9 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ was_submitted: false });
    const draft = await fetchSpec("post-onboarding", "&user_id=owl_anon_s1");
    expect(draft.body.in_progress).toEqual({ response_id: first.body.id, answers: { q_nps: 9 } });

    const missing = await respond("post-onboarding", {
      user_id: "owl_anon_s1",
      answers: {},
      is_complete: true,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('"q_choice" is required');

    const done = await respond("post-onboarding", {
      user_id: "owl_anon_s1",
      answers: { q_choice: "friend", q_text: "Love it" },
      is_complete: true,
      session_id: "0190F5A2-7D4E-7C1A-9B2E-3F4A5B6C7D8E",
      environment: "ios",
      sdk_name: "owlmetry-swift",
    });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ id: first.body.id, created_at: first.body.created_at, was_submitted: true });
    expect((await fetchSpec("post-onboarding", "&user_id=owl_anon_s1")).body).toEqual({
      eligible: false,
      reason: "already_responded",
    });
    // A debug preview (force) is still shown.
    expect((await fetchSpec("post-onboarding", "&user_id=owl_anon_s1&force=true")).body.eligible).toBe(true);
    const twice = await respond("post-onboarding", { user_id: "owl_anon_s1", answers: { q_nps: 1 } });
    expect(twice.status).toBe(409);
    expect(twice.body).toEqual({ error: "Already responded", reason: "already_responded" });

    const list = await manage("GET", `/${id}/responses`);
    expect(list.body.responses).toHaveLength(1);
    expect(list.body.responses[0]).toMatchObject({
      user_id: "owl_anon_s1",
      answers: { q_nps: 9, q_choice: "friend", q_text: "Love it" },
      is_complete: true,
      status: "new",
      environment: "ios",
      schema_snapshot: SCHEMA,
    });
  });

  test("a claimed anonymous id answers as its user; dismissal is per user", async () => {
    await roost.call("POST", "/v1/identity/claim", {
      token: t.clientKey,
      body: { anonymous_id: "owl_anon_s1", user_id: "sam" },
    });
    expect((await fetchSpec("post-onboarding", "&user_id=sam")).body.reason).toBe("already_responded");
    const dismissed = await roost.call("POST", "/v1/questionnaires/dismiss", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, user_id: "owl_anon_s2" },
    });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.dismissed_at).toMatch(/Z$/);
    expect((await fetchSpec("post-onboarding", "&user_id=owl_anon_s2")).body).toEqual({
      eligible: false,
      reason: "globally_dismissed",
    });
    const submit = await respond("post-onboarding", {
      user_id: "owl_anon_s2",
      answers: { q_nps: 3, q_choice: "search" },
      is_complete: true,
    });
    expect(submit.status).toBe(409);
    expect(submit.body).toEqual({ error: "Questionnaires globally dismissed", reason: "globally_dismissed" });
    // Without a user, every submit is a response of its own.
    const anon = await respond("post-onboarding", {
      answers: { q_nps: 10, q_choice: "search" },
      is_complete: true,
    });
    expect(anon.status).toBe(201);
  });

  test("answers and schemas are checked in Owlmetry's words", async () => {
    const cases: Array<[unknown, string]> = [
      ["x", "answers must be an object"],
      [{ q_nope: 1 }, 'unknown question id "q_nope"'],
      [{ q_nps: 11 }, '"q_nps" must be an integer 0-10'],
      [{ q_choice: "other" }, '"other" is not a valid option for "q_choice"'],
      [{ q_rating: 2.5 }, '"q_rating" must be an integer 1-5'],
      [{ q_text: 5 }, '"q_text" must be a string'],
    ];
    for (const [answers, message] of cases) {
      const r = await respond("post-onboarding", { user_id: "u-checks", answers });
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    const session = await respond("post-onboarding", { answers: {}, session_id: "s-1" });
    expect(session.body.error).toBe("session_id must be a UUID");
    const schemas: Array<[unknown, string]> = [
      [{ version: 2, questions: [] }, "schema.version must be 1"],
      [{ version: 1, questions: [] }, "schema must have at least one question"],
      [
        { version: 1, questions: [{ id: "a", type: "slider", title: "t", required: true }] },
        "questions[0].type must be one of text, single_choice, multi_choice, rating, nps",
      ],
      [
        { version: 1, questions: [{ id: "A", type: "nps", title: "t", required: true }] },
        "questions[0].id must be lowercase letters/digits/underscores (1-32 chars)",
      ],
      [
        { version: 1, questions: [{ id: "a", type: "nps", title: "t" }] },
        "questions[0].required must be a boolean",
      ],
      [
        { version: 1, questions: [{ id: "a", type: "rating", title: "t", required: true, scale: 10 }] },
        "questions[0].scale must be 5 (V1 only supports 5-point ratings)",
      ],
      [
        {
          version: 1,
          questions: [
            {
              id: "a",
              type: "single_choice",
              title: "t",
              required: true,
              options: [{ id: "x", label: "X" }],
            },
          ],
        },
        "questions[0].options must have at least 2 entries",
      ],
    ];
    for (const [schema, message] of schemas) {
      const r = await manage("POST", "", { slug: "bad", name: "Bad", schema });
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    expect((await manage("POST", "", { slug: "Bad Slug", name: "x", schema: SCHEMA })).body.error).toBe(
      "slug must be 1-64 lowercase letters/digits/hyphens",
    );
    expect((await manage("PATCH", `/${id}`, { slug: "x" })).body.error).toBe(
      "slug is immutable after creation",
    );
  });

  test("triage: a response's status, its detail, the team's list and count; deleting frees the user", async () => {
    const list = await manage("GET", `/${id}/responses?submitted_only=true`);
    const first = list.body.responses.find((r: { user_id: string | null }) => r.user_id === "sam");
    expect(first).toBeDefined();
    const path = `/${id}/responses/${first.id}`;
    const patched = await manage("PATCH", path, { status: "addressed" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: first.id,
      status: "addressed",
      questionnaire_name: "Post-onboarding survey",
    });
    expect((await manage("GET", path)).body.status).toBe("addressed");
    for (const [body, message] of [
      [{}, "status is required"],
      [{ status: "draft" }, "Invalid status. Must be one of: new, in_review, addressed, dismissed"],
    ] as const) {
      const r = await manage("PATCH", path, body);
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    expect((await manage("GET", `/${id}/responses/${crypto.randomUUID()}`)).body).toEqual({
      error: "Response not found",
    });

    const team = await roost.call("GET", `/v1/questionnaires?team_id=${t.team.id}`, { token: t.token });
    expect(team.body.questionnaires.map((q: { slug: string }) => q.slug)).toEqual(["post-onboarding"]);
    expect(team.body.questionnaires[0]).toMatchObject({ response_count: 2, submitted_count: 2 });
    const counted = await roost.call("GET", "/v1/questionnaires/count", { token: t.token });
    expect(counted.body).toEqual({ count: 2 });
    expect(
      (await roost.call("GET", `/v1/questionnaires?team_id=${other.team.id}`, { token: t.token })).body,
    ).toEqual({ questionnaires: [] });

    expect((await manage("DELETE", path, undefined, t.adminKey)).body).toEqual({
      error: "Only users can delete responses",
    });
    expect((await manage("DELETE", path)).body).toEqual({ deleted: true });
    expect((await fetchSpec("post-onboarding", "&user_id=sam")).body.eligible).toBe(true);
  });

  test("inactive: not eligible, and responses are refused", async () => {
    const off = await manage("PATCH", `/${id}`, { is_active: false });
    expect(off.body.is_active).toBe(false);
    expect((await fetchSpec("post-onboarding", "&user_id=new-user")).body).toEqual({
      eligible: false,
      reason: "inactive",
    });
    const r = await respond("post-onboarding", { user_id: "new-user", answers: { q_nps: 1 } });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({ error: "Questionnaire is not accepting responses", reason: "inactive" });
  });

  test("security", async () => {
    expect((await fetchSpec("post-onboarding", "", t.adminKey)).status).toBe(403);
    expect((await fetchSpec("post-onboarding", "", t.adminKey)).body.error).toBe(
      "Missing permission: events:write",
    );
    const wrongBundle = await roost.call("GET", "/v1/questionnaires/post-onboarding?bundle_id=com.other", {
      token: t.clientKey,
    });
    expect(wrongBundle.body).toEqual({ error: "bundle_id does not match the app" });
    // Another project's client key sees no such questionnaire.
    const theirs = await roost.call(
      "GET",
      `/v1/questionnaires/post-onboarding?bundle_id=${other.app.bundle_id}`,
      {
        token: other.clientKey,
      },
    );
    expect(theirs.status).toBe(404);
    expect((await manage("GET", "", undefined, other.token)).body).toEqual({ error: "Project not found" });
    const eventsOnly = (
      await roost.call("POST", "/v1/keys", {
        token: t.token,
        body: { kind: "agent", name: "events only", team_id: t.team.id, permissions: ["events:read"] },
      })
    ).body.secret;
    expect((await manage("GET", "", undefined, eventsOnly)).body).toEqual({
      error: "Missing permission: questionnaires:read",
    });
    expect((await roost.call("GET", `/v1/projects/${t.project.id}/questionnaires`)).status).toBe(401);
    expect((await manage("DELETE", `/${id}`, undefined, t.clientKey)).status).toBe(403);
    expect((await manage("DELETE", `/${id}`)).body).toEqual({ deleted: true });
    expect((await manage("GET", `/${id}`)).status).toBe(404);
  });
});
