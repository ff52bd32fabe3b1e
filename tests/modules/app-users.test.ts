import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let other: Tenant;
let androidApp: { id: string; client_key: { secret: string } };

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Users");
  other = await roost.tenant("Elsewhere");
  androidApp = (
    await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: {
        project_id: t.project.id,
        name: "Android",
        platform: "android",
        bundle_id: "com.users.android",
      },
    })
  ).body;
});
afterAll(() => roost.close());

let n = 0;
async function send(
  userId: string,
  count: number,
  options: {
    key?: string;
    bundle?: string;
    environment?: string;
    isDev?: boolean;
    at?: Date;
    version?: string;
  } = {},
) {
  const events = Array.from({ length: count }, (_, i) => ({
    client_event_id: `u-${n++}`,
    session_id: "s",
    user_id: userId,
    level: "info",
    message: "tap",
    environment: options.environment ?? "ios",
    is_dev: options.isDev ?? false,
    app_version: options.version ?? "1.0.0",
    sdk_name: "owlmetry-swift",
    locale: "en_US",
    timestamp: options.at ? new Date(options.at.getTime() + i).toISOString() : undefined,
  }));
  const r = await roost.call("POST", "/v1/ingest", {
    token: options.key ?? t.clientKey,
    body: { bundle_id: options.bundle ?? t.app.bundle_id, events },
  });
  expect(r.body.accepted).toBe(count);
}

/**
 * Seals what is hot (the embedded store). A cluster counts each event's user as it stores it
 * (decision 017): there is nothing to seal, and every figure below must be the same.
 */
const seal = () => roost.lake.seal();

const props = (body: unknown, token = t.clientKey) =>
  roost.call("POST", "/v1/identity/properties", { token, body });
const users = (query = "", token = t.adminKey) => roost.call("GET", `/v1/app-users?${query}`, { token });

describe("POST /v1/identity/properties", () => {
  test("merges, deletes with an empty string, and answers every property", async () => {
    let r = await props({ user_id: "alice", properties: { plan: "pro", theme: "dark" } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ updated: true, properties: { plan: "pro", theme: "dark" } });
    r = await props({ user_id: "alice", properties: { plan: "team", theme: "" } });
    expect(r.body).toEqual({ updated: true, properties: { plan: "team" } });
    r = await props({ user_id: "alice", properties: {} });
    expect(r.body).toEqual({ updated: true, properties: { plan: "team" } });
    // Deleting from a user who has none creates nobody.
    r = await props({ user_id: "ghost", properties: { gone: "" } });
    expect(r.body).toEqual({ updated: true, properties: {} });
    expect((await users("user_id=ghost")).body.users).toEqual([]);
  });

  test("Owlmetry's limits, checked before anything is written", async () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]));
    expect((await props({ user_id: "bob", properties: many })).status).toBe(200);
    const over = await props({ user_id: "bob", properties: { one_more: "v" } });
    expect(over.status).toBe(400);
    expect(over.body.error).toBe("Total properties count exceeds max of 50");
    const stored = (await users("user_id=bob&data_mode=all")).body.users[0];
    expect(Object.keys(stored.properties)).toHaveLength(50);

    const cases: Array<[unknown, string]> = [
      [{ properties: { a: "b" } }, "user_id is required"],
      [{ user_id: "", properties: { a: "b" } }, "user_id is required"],
      [{ user_id: "bob" }, "properties must be an object"],
      [{ user_id: "bob", properties: "x" }, "properties must be an object"],
      [{ user_id: "bob", properties: ["x"] }, "properties must be an object"],
      [{ user_id: "bob", properties: { "": "x" } }, "Property keys must be non-empty strings"],
      [
        { user_id: "bob", properties: { ["k".repeat(51)]: "x" } },
        `Property key "${"k".repeat(51)}" exceeds max length of 50`,
      ],
      [{ user_id: "bob", properties: { n: 5 } }, 'Property value for "n" must be a string'],
      [
        { user_id: "bob", properties: { v: "x".repeat(201) } },
        'Property value for "v" exceeds max length of 200',
      ],
    ];
    for (const [body, message] of cases) {
      const r = await props(body);
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
  });

  test("security: no credentials 401, an agent key 403, a user 400", async () => {
    const body = { user_id: "x", properties: { a: "b" } };
    expect((await roost.call("POST", "/v1/identity/properties", { body })).status).toBe(401);
    expect((await props(body, t.adminKey)).status).toBe(403);
    const user = await props(body, t.token);
    expect(user.status).toBe(400);
    expect(user.body.error).toBe("Client key must be scoped to an app");
  });
});

describe("GET /v1/app-users", () => {
  test("users from sealed and hot events, with counts, apps, claims and properties", async () => {
    const day = 86_400_000;
    await send("carol", 3, { at: new Date(Date.now() - 3 * day), version: "1.0.0" });
    await seal();
    await send("carol", 2, { at: new Date(Date.now() - day), version: "1.1.0" });
    await send("carol", 1, {
      key: androidApp.client_key.secret,
      bundle: "com.users.android",
      environment: "android",
      at: new Date(Date.now() - 2 * day),
    });
    await send("owl_anon_carol-phone", 4, { at: new Date(Date.now() - 4 * day) });
    await seal();
    await props({ user_id: "owl_anon_carol-phone", properties: { seen_onboarding: "yes", plan: "free" } });
    await props({ user_id: "carol", properties: { plan: "pro" } });
    const claim = await roost.call("POST", "/v1/identity/claim", {
      token: t.clientKey,
      body: { anonymous_id: "owl_anon_carol-phone", user_id: "carol" },
    });
    expect(claim.body.events_reassigned_count).toBe(4);

    const r = await users(`user_id=carol&project_id=${t.project.id}`);
    expect(r.status).toBe(200);
    expect(r.body.users).toHaveLength(1);
    const carol = r.body.users[0];
    expect(carol).toMatchObject({
      project_id: t.project.id,
      user_id: "carol",
      is_anonymous: false,
      claimed_from: ["owl_anon_carol-phone"],
      properties: { plan: "pro", seen_onboarding: "yes" },
      event_count: 10,
      last_app_version: "1.1.0",
      last_sdk_name: "owlmetry-swift",
      last_locale: "en_US",
      is_dev: false,
      last_preferred_language: null,
      total_revenue_usd_cents: null,
    });
    expect(
      carol.apps.map((a: { app_name: string; event_count: number }) => [a.app_name, a.event_count]),
    ).toEqual([
      ["iOS", 9],
      ["Android", 1],
    ]);
    expect(Date.parse(carol.first_seen_at)).toBeLessThan(Date.now() - 3.9 * day);
    // The anonymous user is gone: folded into carol.
    expect((await users("user_id=owl_anon_carol-phone&data_mode=all")).body.users).toEqual([]);

    // The same user by id, and the same figures after one more hot event and another seal.
    const byId = await roost.call("GET", `/v1/app-users/${carol.id}`, { token: t.adminKey });
    expect(byId.body).toEqual(carol);
    await send("carol", 1);
    await seal();
    const after = (await roost.call("GET", `/v1/app-users/${carol.id}`, { token: t.adminKey })).body;
    expect(after.event_count).toBe(11);
    expect(after.apps[0].event_count).toBe(10);
  });

  test("a user only hot has an id already, the same after the seal", async () => {
    await send("dave", 2);
    const hot = (await users("user_id=dave")).body.users[0];
    expect(hot.event_count).toBe(2);
    expect((await roost.call("GET", `/v1/app-users/${hot.id}`, { token: t.adminKey })).body.user_id).toBe(
      "dave",
    );
    await seal();
    const sealed = (await users("user_id=dave")).body.users[0];
    expect(sealed.id).toBe(hot.id);
    expect(sealed.event_count).toBe(2);
  });

  test("filters, data mode, sort and cursor pages", async () => {
    await send("dev-erin", 1, { isDev: true });
    await props({ user_id: "trial-frank", properties: { rc_period_type: "trial" } });
    await props({ user_id: "paid-gina", properties: { rc_subscriber: "true" } });
    const ids = async (query: string) =>
      (await users(`project_id=${t.project.id}&${query}`)).body.users.map(
        (u: { user_id: string }) => u.user_id,
      );
    expect(await ids("data_mode=development")).toEqual(["dev-erin"]);
    expect(await ids("data_mode=all&search=RIN")).toEqual(["dev-erin"]);
    expect(await ids("is_anonymous=true&data_mode=all")).toEqual([]);
    expect(await ids("billing_status=trial")).toEqual(["trial-frank"]);
    expect(await ids("billing_status=paid")).toEqual(["paid-gina"]);
    expect(await ids("billing_status=free&search=gina")).toEqual([]);
    expect(await ids(`app_id=${androidApp.id}`)).toEqual(["carol"]);
    const appRoute = await roost.call("GET", `/v1/apps/${androidApp.id}/users`, { token: t.adminKey });
    expect(appRoute.body.users.map((u: { user_id: string }) => u.user_id)).toEqual(["carol"]);

    const everyone = await ids("data_mode=all&limit=200");
    expect(everyone.length).toBeGreaterThanOrEqual(7);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await users(
        `project_id=${t.project.id}&data_mode=all&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      walked.push(...page.body.users.map((u: { user_id: string }) => u.user_id));
      cursor = page.body.cursor;
      expect(page.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(walked).toEqual(everyone);
    const byFirstSeen = await ids("data_mode=all&sort=first_seen&limit=200");
    expect(byFirstSeen.at(-1)).toBe("carol"); // first seen four days ago, through her anonymous id
  });

  test("bad input is a 400 that says why", async () => {
    const cases: Array<[string, string]> = [
      ["limit=0", "limit must be a whole number from 1 to 200"],
      ["data_mode=debug", "data_mode must be one of production, development, all"],
      ["is_anonymous=maybe", "is_anonymous must be true or false"],
      ["billing_status=gold", "Unknown billing_status: gold. Allowed: paid, trial, free"],
      ["sort=name", "sort must be one of last_seen, first_seen"],
      ["cursor=abc", "Invalid cursor"],
      ["project_id=nope", "project_id must be a UUID"],
      ["since=yesterday", "since must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date"],
    ];
    for (const [query, message] of cases) {
      const r = await users(query);
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
  });

  test("security: 401 without credentials, 403 for a client key, another team's users invisible", async () => {
    expect((await roost.call("GET", "/v1/app-users")).status).toBe(401);
    const client = await users("", t.clientKey);
    expect(client.status).toBe(403);
    expect(client.body.error).toBe("Missing permission: events:read");
    await roost.call("POST", "/v1/identity/properties", {
      token: other.clientKey,
      body: { user_id: "carol", properties: { secret: "theirs" } },
    });
    const theirs = (await users("user_id=carol", other.adminKey)).body.users;
    expect(theirs).toHaveLength(1);
    expect(theirs[0].properties).toEqual({ secret: "theirs" });
    expect((await users(`project_id=${other.project.id}`)).body).toEqual({
      users: [],
      cursor: null,
      has_more: false,
    });
    const mine = (await users("user_id=carol")).body.users[0];
    expect((await roost.call("GET", `/v1/app-users/${mine.id}`, { token: other.adminKey })).status).toBe(404);
    expect(
      (await roost.call("GET", `/v1/apps/${androidApp.id}/users`, { token: other.adminKey })).body,
    ).toEqual({
      error: "App not found",
    });
    expect((await roost.call("GET", "/v1/app-users/not-a-uuid", { token: t.adminKey })).body).toEqual({
      error: "User not found",
    });
  });
});
