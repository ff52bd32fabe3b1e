import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let other: Tenant;
let reader: string;
let writer: string;
let backend: { id: string; client_key: { secret: string } };

const SESSION = "0190f5a2-7d4e-7c1a-9b2e-3f4a5b6c7d8e";

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Fb");
  other = await roost.tenant("FbOther");
  const key = async (permissions: string[]) =>
    (
      await roost.call("POST", "/v1/keys", {
        token: t.token,
        body: { kind: "agent", name: `agent ${permissions.join(" ")}`, team_id: t.team.id, permissions },
      })
    ).body.secret as string;
  reader = await key(["feedback:read"]);
  writer = await key(["feedback:read", "feedback:write"]);
  backend = (
    await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: t.project.id, name: "api", platform: "backend" },
    })
  ).body;
});
afterAll(() => roost.close());

const send = (body: Record<string, unknown>, token = t.clientKey, headers: Record<string, string> = {}) =>
  roost.call("POST", "/v1/feedback", { token, body: { bundle_id: t.app.bundle_id, ...body }, headers });
const base = () => `/v1/projects/${t.project.id}/feedback`;

describe("POST /v1/feedback", () => {
  test("stores what the Swift SDK sends and answers 201 {id, created_at}", async () => {
    const r = await send(
      {
        message: "  The export button does nothing  ",
        session_id: SESSION,
        user_id: "owl_anon_fb-1",
        submitter_name: " Ann ",
        submitter_email: "ann@example.com",
        app_version: "3.1.0",
        sdk_name: "owlmetry-swift",
        sdk_version: "1.4.0",
        environment: "ios",
        device_model: "iPhone15,2",
        os_version: "18.1",
        screen_name: "Export",
        is_dev: false,
      },
      t.clientKey,
      { "cf-ipcountry": "de" },
    );
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["created_at", "id"]);
    expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await roost.call("GET", `${base()}/${r.body.id}`, { token: t.token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: r.body.id,
      app_id: t.app.id,
      project_id: t.project.id,
      session_id: SESSION,
      user_id: "owl_anon_fb-1",
      message: "The export button does nothing",
      submitter_name: "Ann",
      submitter_email: "ann@example.com",
      status: "new",
      is_dev: false,
      environment: "ios",
      app_version: "3.1.0",
      sdk_name: "owlmetry-swift",
      device_model: "iPhone15,2",
      country_code: "DE",
      screen_name: "Export",
      app_name: "iOS",
      user_properties: null,
      comments: [],
      attachments: [],
    });
    expect(got.body.project_name).toBeUndefined();
  });

  test("a claim moves the anonymous user's feedback to the user; properties show beside it", async () => {
    await roost.call("POST", "/v1/identity/properties", {
      token: t.clientKey,
      body: { user_id: "ann-real", properties: { plan: "pro" } },
    });
    await roost.call("POST", "/v1/identity/claim", {
      token: t.clientKey,
      body: { anonymous_id: "owl_anon_fb-1", user_id: "ann-real" },
    });
    const later = await send({ message: "sent after the claim", user_id: "owl_anon_fb-1" });
    const list = await roost.call("GET", base(), { token: t.token });
    expect(list.body.feedback.map((f: { user_id: string }) => f.user_id)).toEqual(["ann-real", "ann-real"]);
    expect(list.body.feedback[0]).toMatchObject({ id: later.body.id, user_properties: { plan: "pro" } });
  });

  test("a backend app: no bundle id, no country; the Node SDK's body", async () => {
    const r = await send(
      { message: "from the server", environment: "backend", is_dev: true, sdk_name: "owlmetry-node" },
      backend.client_key.secret,
      { "cf-ipcountry": "US" },
    );
    expect(r.status).toBe(201);
    const got = await roost.call("GET", `${base()}/${r.body.id}`, { token: t.token });
    expect(got.body).toMatchObject({
      environment: "backend",
      is_dev: true,
      country_code: null,
      app_name: "api",
    });
  });

  test("bad input: Owlmetry's checks and words", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ bundle_id: undefined, message: "x" }, 400, "bundle_id is required"],
      [
        { bundle_id: "com.other", message: "x" },
        403,
        "bundle_id does not match the app associated with this API key",
      ],
      [{ message: "   " }, 400, "message is required"],
      [{ message: 42 }, 400, "message is required"],
      [{ message: "x".repeat(4001) }, 400, "message must be at most 4000 characters"],
      [
        { message: "x", submitter_email: "not-an-address" },
        400,
        "submitter_email is not a valid email address",
      ],
      [{ message: "x", session_id: "s-1" }, 400, "session_id must be a UUID"],
      [
        { message: "x", environment: "android" },
        400,
        'environment "android" is not allowed for apple apps (allowed: ios, ipados, macos, watchos, tvos, visionos)',
      ],
    ];
    for (const [body, status, message] of cases) {
      const r = await send(body);
      expect({ status: r.status, error: r.body.error }).toEqual({ status, error: message });
    }
    const gz = await roost.call("POST", "/v1/feedback", {
      token: t.clientKey,
      body: Bun.gzipSync(JSON.stringify({ bundle_id: t.app.bundle_id, message: "z".repeat(700) })),
      headers: { "content-encoding": "gzip" },
    });
    expect(gz.status).toBe(201);
  });

  test("security: 401 without a key; agent keys and users are refused", async () => {
    expect((await roost.call("POST", "/v1/feedback", { body: { message: "x" } })).status).toBe(401);
    const agent = await send({ message: "x" }, writer);
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe("Missing permission: events:write");
    expect((await send({ message: "x" }, t.token)).status).toBe(403);
  });
});

describe("triage", () => {
  test("lists page by cursor, filter by status and data mode, and count", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send({ message: `item ${i}` })).body.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { feedback: Array<{ id: string }>; cursor: string | null } } =
        await roost.call("GET", `${base()}?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
          token: reader,
        });
      expect(page.status).toBe(200);
      walked.push(...page.body.feedback.map((f) => f.id));
      cursor = page.body.cursor;
    } while (cursor);
    expect(walked.slice(0, 5)).toEqual([...ids].reverse());
    expect(new Set(walked).size).toBe(walked.length);

    const patched = await roost.call("PATCH", `${base()}/${ids[0]}`, {
      token: writer,
      body: { status: "in_review" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe("in_review");
    expect(patched.body.app_name).toBeUndefined();
    const inReview = await roost.call("GET", `${base()}?status=in_review`, { token: reader });
    expect(inReview.body.feedback.map((f: { id: string }) => f.id)).toEqual([ids[0]]);

    const team = await roost.call("GET", `/v1/feedback?team_id=${t.team.id}&data_mode=all`, {
      token: t.token,
    });
    expect(team.body.feedback[0].project_name).toBe("Main");
    const dev = await roost.call("GET", "/v1/feedback?data_mode=development", { token: t.token });
    expect(dev.body.feedback.map((f: { message: string }) => f.message)).toEqual(["from the server"]);
    const count = await roost.call("GET", `/v1/feedback/count?team_id=${t.team.id}&status=new`, {
      token: t.token,
    });
    expect(count.body).toEqual({ count: walked.length });
  });

  test("comments: add, edit by the author only, delete by the author or an admin", async () => {
    const id = (await send({ message: "commented" })).body.id;
    const path = `${base()}/${id}/comments`;
    const mine = await roost.call("POST", path, { token: writer, body: { body: "  investigating  " } });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({
      author_type: "agent",
      author_name: "agent feedback:read feedback:write",
      body: "investigating",
    });
    const user = await roost.call("POST", path, { token: t.token, body: { body: "thanks" } });
    expect(user.body).toMatchObject({ author_type: "user", author_name: "Fb" });

    const edit = await roost.call("PATCH", `${path}/${user.body.id}`, {
      token: writer,
      body: { body: "mine now" },
    });
    expect(edit.status).toBe(403);
    expect(edit.body.error).toBe("Only the original author can edit this comment");
    const own = await roost.call("PATCH", `${path}/${mine.body.id}`, {
      token: writer,
      body: { body: "fixed in 3.2" },
    });
    expect(own.body.body).toBe("fixed in 3.2");
    const stranger = await roost.call("DELETE", `${path}/${user.body.id}`, { token: writer });
    expect(stranger.body.error).toBe("Only the original author or a team admin can delete this comment");
    expect((await roost.call("DELETE", `${path}/${mine.body.id}`, { token: t.token })).body).toEqual({
      deleted: true,
    });

    const detail = await roost.call("GET", `${base()}/${id}`, { token: reader });
    expect(detail.body.comments.map((c: { body: string }) => c.body)).toEqual(["thanks"]);
    expect((await roost.call("POST", path, { token: writer, body: { body: " " } })).body.error).toBe(
      "body is required",
    );
  });

  test("delete: users only; then it is gone", async () => {
    const id = (await send({ message: "delete me" })).body.id;
    const agent = await roost.call("DELETE", `${base()}/${id}`, { token: writer });
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe("Only users can delete feedback");
    expect((await roost.call("DELETE", `${base()}/${id}`, { token: t.token })).body).toEqual({
      deleted: true,
    });
    expect((await roost.call("GET", `${base()}/${id}`, { token: t.token })).status).toBe(404);
    expect((await roost.call("DELETE", `${base()}/${id}`, { token: t.token })).body.error).toBe(
      "Feedback not found",
    );
  });

  test("bad input and permissions", async () => {
    const id = (await send({ message: "status" })).body.id;
    const cases: Array<[unknown, string]> = [
      [{}, "status is required"],
      [{ status: "done" }, "Invalid status. Must be one of: new, in_review, addressed, dismissed"],
    ];
    for (const [body, message] of cases) {
      const r = await roost.call("PATCH", `${base()}/${id}`, { token: writer, body });
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    const readOnly = await roost.call("PATCH", `${base()}/${id}`, {
      token: reader,
      body: { status: "addressed" },
    });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error).toBe("Missing permission: feedback:write");
    const eventsOnly = (
      await roost.call("POST", "/v1/keys", {
        token: t.token,
        body: { kind: "agent", name: "events only", team_id: t.team.id, permissions: ["events:read"] },
      })
    ).body.secret;
    const noFeedback = await roost.call("GET", base(), { token: eventsOnly });
    expect(noFeedback.status).toBe(403);
    expect(noFeedback.body.error).toBe("Missing permission: feedback:read");
    expect((await roost.call("GET", base())).status).toBe(401);
    for (const [query, message] of [
      ["limit=500", "limit must be a whole number from 1 to 200"],
      ["status=open", "status must be one of new, in_review, addressed, dismissed"],
      ["cursor=zzz", "Invalid cursor"],
      ["app_id=x", "app_id must be a UUID"],
    ]) {
      const r = await roost.call("GET", `${base()}?${query}`, { token: reader });
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    expect((await roost.call("GET", `${base()}/not-an-id`, { token: reader })).body.error).toBe(
      "Feedback not found",
    );
  });

  test("another team's feedback is invisible", async () => {
    await roost.call("POST", "/v1/feedback", {
      token: other.clientKey,
      body: { bundle_id: other.app.bundle_id, message: "theirs" },
    });
    const mine = await roost.call("GET", "/v1/feedback?data_mode=all&limit=200", { token: t.token });
    expect(mine.body.feedback.some((f: { message: string }) => f.message === "theirs")).toBe(false);
    const theirs = await roost.call("GET", `/v1/projects/${other.project.id}/feedback`, { token: t.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error).toBe("Project not found");
    const byTeam = await roost.call("GET", `/v1/feedback?team_id=${other.team.id}`, { token: t.token });
    expect(byTeam.body).toEqual({ feedback: [], cursor: null, has_more: false });
    expect(
      (await roost.call("GET", `/v1/feedback/count?team_id=${other.team.id}`, { token: t.token })).body,
    ).toEqual({
      count: 0,
    });
  });
});
