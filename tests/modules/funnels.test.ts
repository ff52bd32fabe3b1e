import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/** Owlmetry's funnels API on small fixed data, against answers worked out by hand. */
let roost: Roost;
let t: Tenant;
let other: Tenant;
const T = Date.now() - 86_400_000;
const at = (ms: number) => new Date(ms).toISOString();

let seq = 0;
function step(
  user: string | null,
  name: string,
  offsetS: number,
  variant: string,
  attrs?: Record<string, string>,
) {
  seq++;
  return {
    client_event_id: `f-${seq}`,
    session_id: `s-${user}`,
    user_id: user,
    level: "info",
    message: `step:${name}`,
    screen_name: name === "purchase" ? "Paywall" : "Onboarding",
    environment: "ios",
    app_version: "2.0.0",
    custom_attributes: attrs,
    experiments: { paywall: variant },
    timestamp: at(T + offsetS * 1000),
  };
}

const STEPS = [
  { name: "Welcome", event_filter: { step_name: "welcome" } },
  { name: "Sign up", event_filter: { step_name: "signup" } },
  { name: "Purchase", event_filter: { step_name: "purchase" } },
];

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Funnels");
  other = await roost.tenant("Other");
  const send = async (events: unknown[]) => {
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: { bundle_id: t.app.bundle_id, events },
    });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(events.length);
  };
  await send([
    // A: in order, to the end.
    step("A", "welcome", 0, "x"),
    step("A", "signup", 60, "x"),
    step("A", "purchase", 180, "x", { plan: "annual" }),
    // B: skips sign-up.
    step("B", "welcome", 0, "x"),
    step("B", "purchase", 30, "x", { plan: "monthly" }),
    // C: signs up before the welcome (out of order), then buys.
    step("C", "signup", 0, "x"),
    step("C", "welcome", 60, "x"),
    step("C", "purchase", 180, "x", { plan: "annual" }),
    // D: welcomed while anonymous; the claim below makes it D's.
    step("owl_anon_d", "welcome", 0, "y"),
    // E: only signs up. F: welcomed twice. No user: not in any funnel.
    step("E", "signup", 0, "y"),
    step("F", "welcome", 0, "y"),
    step("F", "welcome", 10, "y"),
    step(null, "welcome", 0, "y"),
  ]);
  const claim = await roost.call("POST", "/v1/identity/claim", {
    token: t.clientKey,
    body: { anonymous_id: "owl_anon_d", user_id: "D" },
  });
  expect(claim.status).toBe(200);
  await send([step("D", "signup", 120, "y")]);
  const created = await roost.call("POST", base(), {
    token: t.token,
    body: { name: "Onboarding", slug: "onboarding", description: "First run", steps: STEPS },
  });
  expect(created.status).toBe(201);
});
afterAll(() => roost.close());

const base = () => `/v1/projects/${t.project.id}/funnels`;
const analytics = async (q = "") => {
  const r = await roost.call("GET", `${base()}/onboarding/query?since=${at(T - 60_000)}${q}`, {
    token: t.token,
  });
  expect(r.status).toBe(200);
  return r.body.analytics;
};
const counts = (a: any) => a.steps.map((s: any) => s.unique_users);

describe("funnel queries", () => {
  test("closed mode: each step after the one before, per user (claims followed)", async () => {
    const a = await analytics("&mode=closed");
    expect(a.mode).toBe("closed");
    expect(a.total_users).toBe(5);
    expect(a.steps).toEqual([
      {
        step_index: 0,
        step_name: "Welcome",
        unique_users: 5,
        percentage: 100,
        drop_off_count: 0,
        drop_off_percentage: 0,
        median_time_from_previous_ms: null,
      },
      {
        step_index: 1,
        step_name: "Sign up",
        unique_users: 2,
        percentage: 40,
        drop_off_count: 3,
        drop_off_percentage: 60,
        // A after 60 s, D after 120 s.
        median_time_from_previous_ms: 90_000,
      },
      {
        step_index: 2,
        step_name: "Purchase",
        unique_users: 1,
        percentage: 20,
        drop_off_count: 1,
        drop_off_percentage: 50,
        median_time_from_previous_ms: 120_000,
      },
    ]);
  });

  test("open mode (the default): each step on its own, earlier steps backfilled by later ones", async () => {
    const a = await analytics();
    expect(a.mode).toBe("open");
    // Reached: A, B, C up to purchase; D and E up to sign-up; F the welcome.
    expect(counts(a)).toEqual([6, 5, 3]);
    expect(a.steps.map((s: any) => [s.percentage, s.drop_off_count, s.drop_off_percentage])).toEqual([
      [100, 0, 0],
      [83.3, 1, 16.7],
      [50, 2, 40],
    ]);
    expect(a.total_users).toBe(6);
    expect(a.funnel).toMatchObject({ slug: "onboarding", name: "Onboarding", steps: STEPS });
  });

  test("grouped by the experiment, and filtered to one variant", async () => {
    const a = await analytics("&mode=closed&group_by=experiment:paywall");
    expect(counts(a)).toEqual([5, 2, 1]);
    expect(a.breakdown.map((g: any) => [g.key, g.value, g.total_users, counts(g)])).toEqual([
      ["experiment:paywall", "x", 3, [3, 1, 1]],
      ["experiment:paywall", "y", 2, [2, 1, 0]],
    ]);
    expect(counts(await analytics("&mode=closed&experiment=paywall:y"))).toEqual([2, 1, 0]);
    const env = await analytics("&group_by=environment");
    expect(env.breakdown.map((g: any) => [g.value, counts(g)])).toEqual([["ios", [6, 5, 3]]]);
    expect(counts(await analytics("&mode=closed&app_version=9.9"))).toEqual([0, 0, 0]);
  });

  test("steps by screen and by attribute value", async () => {
    const r = await roost.call("POST", base(), {
      token: t.token,
      body: {
        name: "Annual",
        slug: "annual",
        steps: [
          { name: "Welcome", event_filter: { step_name: "welcome" } },
          {
            name: "Annual on the paywall",
            event_filter: { screen_name: "Paywall", attributes: { plan: "annual" } },
          },
        ],
      },
    });
    expect(r.status).toBe(201);
    const q = await roost.call("GET", `${base()}/annual/query?mode=closed&since=${at(T - 60_000)}`, {
      token: t.token,
    });
    // A and C bought annual after their welcome; B bought monthly.
    expect(counts(q.body.analytics)).toEqual([5, 2]);
  });

  test("completion counts and the experiments seen", async () => {
    const since = `since=${at(T - 60_000)}`;
    const c = await roost.call("GET", `/v1/funnels/completions/count?${since}`, { token: t.token });
    // Onboarding: 3 purchases, 7 welcomes (events, the anonymous one too); Annual: 2 and 7.
    expect(c.body).toEqual({ count: 5, started: 14 });
    const e = await roost.call("GET", `/v1/projects/${t.project.id}/experiments?${since}`, {
      token: t.token,
    });
    expect(e.body).toEqual({ experiments: [{ name: "paywall", variants: ["x", "y"] }] });
    const theirs = await roost.call("GET", `/v1/funnels/completions/count?${since}`, { token: other.token });
    expect(theirs.body).toEqual({ count: 0, started: 0 });
  });

  test("bad queries are a 400 with a message; an unknown funnel a 404", async () => {
    const cases: Array<[string, string]> = [
      ["&mode=sideways", "mode must be open or closed"],
      ["&group_by=device_model", "Invalid group_by value: device_model"],
      ["&group_by=experiment:", "group_by must name an experiment"],
      ["&experiment=:x", "experiment must be name:variant"],
      ["&until=2000-01-01", "since must not be after until"],
    ];
    for (const [q, message] of cases) {
      const r = await roost.call("GET", `${base()}/onboarding/query?since=${at(T)}${q}`, { token: t.token });
      expect(r.status).toBe(400);
      expect(r.body.error).toStartWith(message);
    }
    const missing = await roost.call("GET", `${base()}/nope/query`, { token: t.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("Funnel not found");
  });
});

describe("funnel definitions", () => {
  test("list, get by slug and id, update, delete and restore", async () => {
    const list = await roost.call("GET", base(), { token: t.adminKey });
    expect(list.body.funnels.map((f: any) => f.slug)).toEqual(["onboarding", "annual"]);
    const one = await roost.call("GET", `${base()}/annual`, { token: t.token });
    const byId = await roost.call("GET", `/v1/funnels/by-id/${one.body.id}`, { token: t.token });
    expect(byId.body).toEqual(one.body);
    const patched = await roost.call("PATCH", `${base()}/annual`, {
      token: t.token,
      // An old funnel's message filter reads as its step name.
      body: {
        description: "Annual plans",
        steps: [{ name: "Buy", event_filter: { message: "track:purchase" } }],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: "Annual",
      description: "Annual plans",
      steps: [{ name: "Buy", event_filter: { step_name: "purchase" } }],
    });
    expect((await roost.call("DELETE", `${base()}/annual`, { token: t.token })).body).toEqual({
      deleted: true,
    });
    expect((await roost.call("GET", `${base()}/annual`, { token: t.token })).status).toBe(404);
    const back = await roost.call("POST", base(), {
      token: t.token,
      body: {
        name: "Annual",
        slug: "annual",
        steps: [{ name: "Buy", event_filter: { step_name: "purchase" } }],
      },
    });
    expect(back.body.id).toBe(one.body.id);
  });

  test("bad definitions are a 400 with Owlmetry's messages; a taken slug a 409", async () => {
    const steps = (s: unknown) => ({ name: "X", slug: "x", steps: s });
    const cases: Array<[unknown, string]> = [
      [steps([]), "steps must be a non-empty array"],
      [steps(Array.from({ length: 21 }, () => STEPS[0])), "Maximum 20 steps allowed"],
      [steps([{ event_filter: { step_name: "a" } }]), "steps[0]: name is required"],
      [steps([{ name: "A" }]), "steps[0]: event_filter is required"],
      [
        steps([STEPS[0], { name: "B", event_filter: {} }]),
        "steps[1]: event_filter must have at least step_name or screen_name",
      ],
      [
        steps([{ name: "A", event_filter: { step_name: "a", attributes: { k: 1 } } }]),
        "steps[0]: event_filter.attributes must map names (no quotes) to strings",
      ],
      [
        { name: "X", slug: "X Y", steps: STEPS },
        "slug must contain only lowercase letters, numbers, and hyphens",
      ],
      [{ name: "X", slug: "x" }, "steps is required"],
    ];
    for (const [body, message] of cases) {
      const r = await roost.call("POST", base(), { token: t.token, body });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(message);
    }
    const taken = await roost.call("POST", base(), {
      token: t.token,
      body: { name: "O", slug: "onboarding", steps: STEPS },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe("A funnel with this slug already exists in this project");
  });

  test("security: no credentials 401, a read-only key 403, another team's funnels invisible", async () => {
    expect((await roost.call("GET", base())).status).toBe(401);
    const key = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "reader", team_id: t.team.id, permissions: ["funnels:read"] },
    });
    expect((await roost.call("GET", `${base()}/onboarding/query`, { token: key.body.secret })).status).toBe(
      200,
    );
    const write = await roost.call("DELETE", `${base()}/onboarding`, { token: key.body.secret });
    expect(write.status).toBe(403);
    expect(write.body.error).toBe("Missing permission: funnels:write");
    for (const path of [
      base(),
      `${base()}/onboarding`,
      `${base()}/onboarding/query`,
      `/v1/projects/${t.project.id}/experiments`,
    ]) {
      const r = await roost.call("GET", path, { token: other.token });
      expect(r.status).toBe(404);
      expect(r.body.error).toBe("Project not found");
    }
    const id = (await roost.call("GET", `${base()}/onboarding`, { token: t.token })).body.id;
    expect((await roost.call("GET", `/v1/funnels/by-id/${id}`, { token: other.token })).status).toBe(404);
  });
});
