import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
let apple: ReturnType<typeof Bun.serve>;
const tokens: string[] = [];

/** Apple's AdServices API, as it answers each kind of token. */
const ANSWERS: Record<string, () => Response> = {
  "tok-ad": () =>
    Response.json({
      attribution: true,
      orgId: 40669820,
      campaignId: 542370539,
      adGroupId: 542317095,
      keywordId: 87675432,
      adId: 0,
      creativeSetId: 542317096,
      claimType: "Click",
      conversionType: "Download",
    }),
  "tok-organic": () => Response.json({ attribution: false }),
  "tok-not-yet": () => new Response("", { status: 404 }),
  "tok-bad": () => new Response("bad token", { status: 400 }),
  "tok-down": () => new Response("unavailable", { status: 503 }),
};

beforeAll(async () => {
  apple = Bun.serve({
    port: 0,
    async fetch(request) {
      const token = await request.text();
      tokens.push(`${request.headers.get("content-type")} ${token}`);
      return (ANSWERS[token] ?? (() => new Response("bad token", { status: 400 })))();
    },
  });
  roost = await startRoost({
    attribution: { appleUrl: `http://localhost:${apple.port}/api/v1/`, devMock: false },
  });
  t = await roost.tenant("Attr");
});
afterAll(async () => {
  apple.stop(true);
  await roost.close();
});

const attribute = (body: unknown, source = "apple-search-ads", token = t.clientKey) =>
  roost.call("POST", `/v1/identity/attribution/${source}`, { token, body });
const propertiesOf = async (userId: string) =>
  (await roost.call("GET", `/v1/app-users?user_id=${userId}&data_mode=all`, { token: t.adminKey })).body
    .users[0]?.properties ?? null;

describe("POST /v1/identity/attribution/apple-search-ads", () => {
  test("an attributed install: Apple's ids become the user's properties", async () => {
    const r = await attribute({ user_id: "owl_anon_a1", attribution_token: "tok-ad" });
    expect(r.status).toBe(200);
    const properties = {
      attribution_source: "apple_search_ads",
      asa_campaign_id: "542370539",
      asa_ad_group_id: "542317095",
      asa_keyword_id: "87675432",
      asa_creative_set_id: "542317096",
      asa_claim_type: "Click",
    };
    expect(r.body).toEqual({ attributed: true, pending: false, properties });
    expect(tokens.at(-1)).toBe("text/plain tok-ad");
    expect(await propertiesOf("owl_anon_a1")).toEqual(properties);
  });

  test("organic (Apple says no, or refuses the token), pending, and Apple down", async () => {
    for (const token of ["tok-organic", "tok-bad"]) {
      const r = await attribute({ user_id: `u-${token}`, attribution_token: token });
      expect(r.body).toEqual({
        attributed: false,
        pending: false,
        properties: { attribution_source: "none" },
      });
    }
    const pending = await attribute({ user_id: "u-pending", attribution_token: "tok-not-yet" });
    expect(pending.body).toEqual({
      attributed: null,
      pending: true,
      retry_after_seconds: 60,
      properties: {},
    });
    expect(await propertiesOf("u-pending")).toBeNull();
    const down = await attribute({ user_id: "u-down", attribution_token: "tok-down" });
    expect(down.status).toBe(502);
    expect(down.body).toEqual({
      error: "Attribution upstream error",
      statusCode: 503,
      message: "unavailable",
    });
  });

  test("bad input and credentials", async () => {
    const unknown = await attribute({ user_id: "u", attribution_token: "x" }, "google-ads");
    expect(unknown.body).toEqual({ error: "Unknown attribution source: google-ads" });
    expect((await attribute({ attribution_token: "x" })).body).toEqual({ error: "user_id is required" });
    expect((await attribute({ user_id: "u" })).body).toEqual({ error: "attribution_token is required" });
    expect(
      (await attribute({ user_id: "u", attribution_token: "x" }, "apple-search-ads", t.adminKey)).status,
    ).toBe(403);
    expect((await roost.call("POST", "/v1/identity/attribution/apple-search-ads", { body: {} })).status).toBe(
      401,
    );
  });
});

describe("dev_mock", () => {
  test("honoured only when the server allows it", async () => {
    const mocking = await startRoost({
      attribution: { appleUrl: `http://localhost:${apple.port}/api/v1/`, devMock: true },
    });
    const m = await mocking.tenant("Mock");
    const r = await mocking.call("POST", "/v1/identity/attribution/apple-search-ads", {
      token: m.clientKey,
      body: { user_id: "u", attribution_token: "", dev_mock: "attributed" },
    });
    expect(r.body.properties.asa_campaign_id).toBe("542370539");
    await mocking.close();
    const asked = tokens.length;
    const real = await attribute({ user_id: "u2", attribution_token: "tok-organic", dev_mock: "attributed" });
    expect(real.body.properties).toEqual({ attribution_source: "none" });
    expect(tokens.length).toBe(asked + 1);
  });
});
