import { describe, expect, test } from "bun:test";
import { ingestFixture } from "./ingest.support";

const { f, event, freshApp, send, outcomes, stored } = ingestFixture();

describe("POST /v1/ingest: valid batches", () => {
  test("stores every field and answers after commit, with outcomes for events and sessions", async () => {
    const a = await freshApp();
    const ts = new Date(Date.now() - 60_000).toISOString();
    const full = event({
      session_id: "s-1",
      user_id: "owl_anon_abc123",
      source_module: "HomeViewController",
      screen_name: "Home",
      custom_attributes: { button_color: "blue", count: 3, long: "x".repeat(300) },
      experiments: { onboarding_flow: "variant_b" },
      os_version: "17.4",
      app_version: "1.2.0",
      sdk_name: "owlmetry-swift",
      sdk_version: "0.1.0",
      build_number: "42",
      device_model: "iPhone15,2",
      locale: "en_US",
      is_dev: true,
      timestamp: ts,
    });
    const r = await send(
      a.key,
      {
        bundle_id: a.bundle,
        events: [full, event({ session_id: "s-1", level: "error" }), event({ session_id: "s-2" })],
      },
      { "cf-ipcountry": "us" },
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 3, rejected: 0, duplicates: 0, filtered: 0, errors: [] });

    const rows = await stored(a.appId);
    expect(rows).toHaveLength(3);
    const row = rows.find((x) => x.client_event_id === full.client_event_id)!;
    expect(row).toMatchObject({
      app_id: a.appId,
      project_id: a.projectId,
      session_id: "s-1",
      user_id: "owl_anon_abc123",
      level: "info",
      source_module: "HomeViewController",
      message: "screen_viewed",
      screen_name: "Home",
      environment: "ios",
      os_version: "17.4",
      app_version: "1.2.0",
      sdk_name: "owlmetry-swift",
      sdk_version: "0.1.0",
      build_number: "42",
      device_model: "iPhone15,2",
      locale: "en_US",
      country_code: "US",
      is_dev: true,
    });
    expect(JSON.parse(row.custom_attributes)).toEqual({
      button_color: "blue",
      count: "3",
      long: "x".repeat(200),
    });
    expect(JSON.parse(row.experiments)).toEqual({ onboarding_flow: "variant_b" });
    expect(row.timestamp.toISOString()).toBe(ts);
    expect(Date.now() - row.received_at.getTime()).toBeLessThan(10_000);
    const me = await f.roost.call("GET", "/v1/auth/me", { token: a.key });
    expect(row.api_key_id).toBe(me.body.key.id);
    // UUIDv7 carrying the event's time: the first 48 bits are its milliseconds.
    expect(Number.parseInt(row.id.replaceAll("-", "").slice(0, 12), 16)).toBe(Date.parse(ts));
    const other = rows.find((x) => x.client_event_id !== full.client_event_id)!;
    expect(other.custom_attributes).toBeNull();
    expect(other.experiments).toBeNull();
    expect(other.is_dev).toBe(false);
    expect(other.country_code).toBe("US");

    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "accepted", reason: null, category: "default", quantity: 2, times_seen: 2 },
      { outcome: "accepted", reason: null, category: "error", quantity: 1, times_seen: 1 },
      { outcome: "accepted", reason: null, category: "session", quantity: 3, times_seen: 2 },
    ]);
  });

  test("a session counts once across requests; a backend app needs no bundle_id", async () => {
    const a = await freshApp({}, "backend");
    for (let i = 0; i < 3; i++) {
      const r = await send(a.key, { events: [event({ session_id: "same", environment: "backend" })] });
      expect(r.body.accepted).toBe(1);
    }
    const session = (await outcomes(a.projectId)).find((o) => o.category === "session");
    expect(session).toEqual({
      outcome: "accepted",
      reason: null,
      category: "session",
      quantity: 3,
      times_seen: 1,
    });
  });

  test("an unknown CF-IPCountry stays null", async () => {
    const a = await freshApp();
    await send(a.key, { bundle_id: a.bundle, events: [event()] }, { "cf-ipcountry": "XX" });
    expect((await stored(a.appId))[0]?.country_code).toBeNull();
  });
});

describe("POST /v1/ingest: invalid events", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    [
      "client_event_id missing",
      { client_event_id: undefined },
      "client_event_id is required",
      "invalid_client_event_id",
    ],
    [
      "client_event_id empty",
      { client_event_id: "" },
      "client_event_id must be a string of 1 to 128 characters",
      "invalid_client_event_id",
    ],
    [
      "client_event_id too long",
      { client_event_id: "x".repeat(129) },
      "client_event_id must be a string of 1 to 128 characters",
      "invalid_client_event_id",
    ],
    ["session_id missing", { session_id: undefined }, "session_id is required", "invalid_session_id"],
    [
      "session_id a number",
      { session_id: 5 },
      "session_id must be a string of 1 to 128 characters",
      "invalid_session_id",
    ],
    [
      "user_id too long",
      { user_id: "u".repeat(256) },
      "user_id must be a string of at most 255 characters",
      "invalid_user_id",
    ],
    ["level missing", { level: undefined }, "level is required", "invalid_level"],
    ["level unknown", { level: "fatal" }, "level must be one of info, debug, warn, error", "invalid_level"],
    ["message missing", { message: undefined }, "message is required", "invalid_message"],
    ["message empty", { message: "" }, "message must be a string of 1 to 2000 characters", "invalid_message"],
    [
      "message too long",
      { message: "m".repeat(2001) },
      "message must be a string of 1 to 2000 characters",
      "invalid_message",
    ],
    [
      "source_module too long",
      { source_module: "s".repeat(256) },
      "source_module must be a string of at most 255 characters",
      "invalid_source_module",
    ],
    [
      "screen_name too long",
      { screen_name: "s".repeat(256) },
      "screen_name must be a string of at most 255 characters",
      "invalid_screen_name",
    ],
    ["environment missing", { environment: undefined }, "environment is required", "invalid_environment"],
    [
      "environment of another platform",
      { environment: "android" },
      "environment 'android' does not fit this apple app (allowed: ios, ipados, macos, watchos, tvos, visionos)",
      "invalid_environment",
    ],
    [
      "custom_attributes a list",
      { custom_attributes: ["a"] },
      "custom_attributes must be an object of string values",
      "invalid_custom_attributes",
    ],
    [
      "custom_attributes nested",
      { custom_attributes: { a: { b: 1 } } },
      "custom_attributes.a must be a string",
      "invalid_custom_attributes",
    ],
    [
      "custom_attributes 51 keys",
      { custom_attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) },
      "custom_attributes has more than 50 keys",
      "invalid_custom_attributes",
    ],
    [
      "experiments a string",
      { experiments: "on" },
      "experiments must be an object of string values",
      "invalid_experiments",
    ],
    [
      "os_version too long",
      { os_version: "1".repeat(256) },
      "os_version must be a string of at most 255 characters",
      "invalid_os_version",
    ],
    ["locale a number", { locale: 7 }, "locale must be a string of at most 255 characters", "invalid_locale"],
    ["is_dev a string", { is_dev: "yes" }, "is_dev must be true or false", "invalid_is_dev"],
    [
      "timestamp garbage",
      { timestamp: "yesterday" },
      "timestamp must be an ISO-8601 date such as 2024-01-15T10:30:00.000Z",
      "invalid_timestamp",
    ],
    [
      "timestamp 6 minutes ahead",
      { timestamp: new Date(Date.now() + 6 * 60_000).toISOString() },
      "timestamp is more than 5 minutes in the future",
      "invalid_timestamp",
    ],
    [
      "timestamp 31 days back",
      { timestamp: new Date(Date.now() - 31 * 86_400_000).toISOString() },
      "timestamp is more than 30 days in the past",
      "invalid_timestamp",
    ],
  ];

  test.each(cases)("%s → rejected with its message and outcome", async (_, over, message, reason) => {
    const a = await freshApp();
    const bad = JSON.parse(JSON.stringify(event(over)));
    const r = await send(a.key, { bundle_id: a.bundle, events: [event(), bad] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      accepted: 1,
      rejected: 1,
      duplicates: 0,
      filtered: 0,
      errors: [{ index: 1, message }],
    });
    const category = over.level === "error" ? "error" : "default";
    expect((await outcomes(a.projectId)).filter((o) => o.outcome === "invalid")).toEqual([
      { outcome: "invalid", reason, category, quantity: 1, times_seen: 1 },
    ]);
    expect(await stored(a.appId)).toHaveLength(1);
  });

  test("limits hold at their edges: 128, 255, 2000 characters, 50 attributes, 4:59 ahead, 29 days back", async () => {
    const a = await freshApp();
    const r = await send(a.key, {
      bundle_id: a.bundle,
      events: [
        event({
          client_event_id: "c".repeat(128),
          session_id: "s".repeat(128),
          user_id: "u".repeat(255),
          message: "m".repeat(2000),
        }),
        event({
          custom_attributes: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"])),
        }),
        event({ timestamp: new Date(Date.now() + 4 * 60_000 + 59_000).toISOString() }),
        event({ timestamp: new Date(Date.now() - 29 * 86_400_000).toISOString() }),
      ],
    });
    expect(r.body.errors).toEqual([]);
    expect(r.body.accepted).toBe(4);
  });

  test("a batch of only invalid events stores nothing and reports each", async () => {
    const a = await freshApp();
    const r = await send(a.key, {
      bundle_id: a.bundle,
      events: [{}, "x", event({ level: "error", message: "" })],
    });
    expect(r.body).toEqual({
      accepted: 0,
      rejected: 3,
      duplicates: 0,
      filtered: 0,
      errors: [
        { index: 0, message: "level is required" },
        { index: 1, message: "event must be a JSON object" },
        { index: 2, message: "message must be a string of 1 to 2000 characters" },
      ],
    });
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "invalid", reason: "invalid_event", category: "default", quantity: 1, times_seen: 1 },
      { outcome: "invalid", reason: "invalid_level", category: "default", quantity: 1, times_seen: 1 },
      { outcome: "invalid", reason: "invalid_message", category: "error", quantity: 1, times_seen: 1 },
    ]);
  });
});

describe("POST /v1/ingest: the request as a whole", () => {
  test("bundle_id missing → 400, wrong → 403, each with an outcome", async () => {
    const a = await freshApp();
    const missing = await send(a.key, { events: [event(), event()] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("bundle_id is required for this app");
    const wrong = await send(a.key, { bundle_id: "com.evil", events: [event()] });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe("bundle_id does not match this app");
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "invalid", reason: "bundle_id", category: "default", quantity: 3, times_seen: 3 },
    ]);
    expect(await stored(a.appId)).toEqual([]);
  });

  test.each([
    [{}, "events is required: an array of 1 to 1000 events", 1],
    [{ events: "many" }, "events is required: an array of 1 to 1000 events", 1],
    [{ events: [] }, "events must hold 1 to 1000 events", 1],
    [
      { events: Array.from({ length: 1001 }, () => ({})) },
      "events must hold 1 to 1000 events, got 1001",
      1001,
    ],
    [[1, 2], "The request body must be a JSON object with an events array", 1],
  ])("body %# → 400 with its message and an invalid/payload outcome", async (body, message, quantity) => {
    const a = await freshApp();
    const r = await send(a.key, body);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "invalid", reason: "payload", category: "default", quantity, times_seen: quantity },
    ]);
  });

  test("1000 events are accepted", async () => {
    const a = await freshApp();
    const r = await send(a.key, { bundle_id: a.bundle, events: Array.from({ length: 1000 }, () => event()) });
    expect(r.body.accepted).toBe(1000);
  });

  test("gzip: a valid body is read, a broken one is 400, a bomb is 413", async () => {
    const a = await freshApp();
    const gzip = { "content-encoding": "gzip" };
    const gz = Bun.gzipSync(JSON.stringify({ bundle_id: a.bundle, events: [event(), event()] }));
    const ok = await send(a.key, gz, gzip);
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(2);

    const broken = await send(
      a.key,
      gz.slice(0, gz.length - 12).map((b, i) => (i > 20 ? b ^ 0x5a : b)),
      gzip,
    );
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe("The request body is not valid gzip");

    // 64 MiB of spaces inflates from about 64 KiB: cut off at the 5 MiB cap.
    const bomb = Bun.gzipSync(new Uint8Array(64 * 1024 * 1024).fill(32));
    expect(bomb.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    const big = await send(a.key, bomb, gzip);
    expect(big.status).toBe(413);
    expect(big.body.error).toBe("The request body is larger than 5 MiB");
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);

    expect((await outcomes(a.projectId)).filter((o) => o.outcome === "invalid")).toEqual([
      { outcome: "invalid", reason: "payload", category: "default", quantity: 1, times_seen: 1 },
      { outcome: "invalid", reason: "too_large", category: "default", quantity: 1, times_seen: 1 },
    ]);
  });

  test("a plain body over 5 MiB → 413; broken JSON → 400; another encoding → 415", async () => {
    const a = await freshApp();
    const huge = JSON.stringify({
      bundle_id: a.bundle,
      events: [event({ message: "x".repeat(100) })],
      pad: "p".repeat(5 * 1024 * 1024),
    });
    const r = await send(a.key, huge);
    expect(r.status).toBe(413);
    const broken = await send(a.key, '{"events": [');
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe("The request body is not valid JSON");
    const br = await send(a.key, "{}", { "content-encoding": "br" });
    expect(br.status).toBe(415);
    expect(br.body.error).toBe("Content-Encoding 'br' is not supported; send gzip or nothing");
    expect((await outcomes(a.projectId)).map((o) => [o.reason, o.quantity])).toEqual([
      ["payload", 2],
      ["too_large", 1],
    ]);
  });
});

describe("POST /v1/ingest: dedup", () => {
  test("the same client_event_id twice in one batch is stored once", async () => {
    const a = await freshApp();
    const e = event();
    const r = await send(a.key, { bundle_id: a.bundle, events: [e, { ...e, message: "second copy" }] });
    expect(r.body).toMatchObject({ accepted: 1, duplicates: 1 });
    const rows = await stored(a.appId);
    expect(rows.map((x) => x.message)).toEqual(["screen_viewed"]);
    expect((await outcomes(a.projectId)).find((o) => o.reason === "duplicate")).toEqual({
      outcome: "invalid",
      reason: "duplicate",
      category: "default",
      quantity: 1,
      times_seen: 1,
    });
  });

  test("concurrent requests carrying the same ids store each once", async () => {
    const a = await freshApp();
    const events = Array.from({ length: 50 }, () => event());
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => send(a.key, { bundle_id: a.bundle, events })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(replies.reduce((n, r) => n + r.body.accepted, 0)).toBe(50);
    expect(replies.reduce((n, r) => n + r.body.duplicates, 0)).toBe(7 * 50);
    expect(await stored(a.appId)).toHaveLength(50);
  });
});

describe("POST /v1/ingest: filters, quotas, abuse", () => {
  test("each inbound filter drops its events as filtered, with a 200", async () => {
    const a = await freshApp({
      filters: {
        levels: ["debug"],
        environments: ["tvos"],
        app_versions: ["0.9.*", "1.0.0"],
        messages: ["*password*"],
        dev_data: true,
      },
    });
    const r = await send(a.key, {
      bundle_id: a.bundle,
      events: [
        event({ level: "debug" }),
        event({ environment: "tvos" }),
        event({ app_version: "0.9.3" }),
        event({ app_version: "1.0.0" }),
        event({ app_version: "1.0.01" }),
        event({ message: "user typed password here" }),
        event({ is_dev: true }),
        event({ level: "error" }),
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 2, filtered: 6, rejected: 0 });
    expect(
      (await outcomes(a.projectId))
        .filter((o) => o.outcome === "filtered")
        .map((o) => [o.reason, o.quantity]),
    ).toEqual(
      [
        ["app-version", 2],
        ["dev-data", 1],
        ["environment", 1],
        ["level", 1],
        ["message", 1],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  });

  test("the project's per-minute quota: over it, 429 with Retry-After and nothing from the batch stored", async () => {
    const a = await freshApp({ quota: { events_per_minute: 5 } });
    expect(
      (await send(a.key, { bundle_id: a.bundle, events: [event(), event(), event()] })).body.accepted,
    ).toBe(3);
    const r = await send(a.key, {
      bundle_id: a.bundle,
      events: [event(), event(), event({ level: "error" })],
    });
    expect(r.status).toBe(429);
    expect(r.body.error).toBe("This project's events-per-minute quota is used up");
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await stored(a.appId)).toHaveLength(3);
    expect((await outcomes(a.projectId)).filter((o) => o.outcome === "rate_limited")).toEqual([
      { outcome: "rate_limited", reason: "project_quota", category: "default", quantity: 2, times_seen: 2 },
      { outcome: "rate_limited", reason: "project_quota", category: "error", quantity: 1, times_seen: 1 },
    ]);
    // Two more still fit.
    expect((await send(a.key, { bundle_id: a.bundle, events: [event(), event()] })).body.accepted).toBe(2);
  });

  test("a key's per-minute quota", async () => {
    const a = await freshApp();
    const limited = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "client", name: "slow", app_id: a.appId, events_per_minute: 2 },
    });
    const key = limited.body.secret;
    expect((await send(key, { bundle_id: a.bundle, events: [event(), event()] })).body.accepted).toBe(2);
    const r = await send(key, { bundle_id: a.bundle, events: [event()] });
    expect(r.status).toBe(429);
    expect(r.body.error).toBe("This key's events-per-minute quota is used up");
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await send(a.key, { bundle_id: a.bundle, events: [event()] })).status).toBe(200);
    expect((await outcomes(a.projectId)).find((o) => o.outcome === "rate_limited")).toMatchObject({
      reason: "key_quota",
      quantity: 1,
    });
  });

  test("a disabled project: 403 and abuse/project_disabled", async () => {
    const a = await freshApp({ status: "disabled" });
    const r = await send(a.key, { bundle_id: a.bundle, events: [event(), event({ level: "error" })] });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("This project is disabled");
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "abuse", reason: "project_disabled", category: "default", quantity: 1, times_seen: 1 },
      { outcome: "abuse", reason: "project_disabled", category: "error", quantity: 1, times_seen: 1 },
    ]);
    await f.roost.call("PATCH", `/v1/projects/${a.projectId}`, {
      token: f.t.token,
      body: { status: "active" },
    });
    expect((await send(a.key, { bundle_id: a.bundle, events: [event()] })).status).toBe(200);
  });

  test("the hourly abuse limit: 429 and abuse/abuse_limit", async () => {
    const a = await freshApp({ quota: { abuse_events_per_hour: 3 } });
    expect((await send(a.key, { bundle_id: a.bundle, events: [event(), event(), event()] })).status).toBe(
      200,
    );
    const r = await send(a.key, { bundle_id: a.bundle, events: [event()] });
    expect(r.status).toBe(429);
    expect(r.body.error).toBe("This project is over its hourly event limit");
    expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect((await outcomes(a.projectId)).find((o) => o.outcome === "abuse")).toMatchObject({
      reason: "abuse_limit",
      quantity: 1,
    });
  });
});

describe("who may ingest", () => {
  test("no credentials 401; agent key 403; JWT 400; import key 403", async () => {
    const body = { bundle_id: f.t.app.bundle_id, events: [event()] };
    const none = await f.roost.call("POST", "/v1/ingest", { body });
    expect(none.status).toBe(401);
    const agent = await send(f.t.adminKey, body);
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe("Missing permission: events:write");
    const jwt = await send(f.t.token, body);
    expect(jwt.status).toBe(400);
    expect(jwt.body.error).toBe("API key must be scoped to an app");
    const imp = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "import", name: "imp", app_id: f.t.app.id },
    });
    const r = await send(imp.body.secret, body);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("This endpoint takes a client key (owl_client_…)");
  });

  test("a deleted app's key is refused", async () => {
    const a = await freshApp();
    await f.roost.call("DELETE", `/v1/apps/${a.appId}`, { token: f.t.token });
    expect((await send(a.key, { bundle_id: a.bundle, events: [event()] })).status).toBe(401);
  });
});

describe("POST /v1/import", () => {
  test("accepts old timestamps that ingest refuses, and updates existing ids in place", async () => {
    const a = await freshApp();
    const imp = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "import", name: "backfill", app_id: a.appId },
    });
    const key = imp.body.secret;
    const old = event({ timestamp: "2021-03-04T05:06:07.089Z" });
    const live = event();
    expect((await send(a.key, { bundle_id: a.bundle, events: [live] })).body.accepted).toBe(1);
    const ingestOld = await send(a.key, { bundle_id: a.bundle, events: [old] });
    expect(ingestOld.body.errors).toEqual([
      { index: 0, message: "timestamp is more than 30 days in the past" },
    ]);

    const r = await f.roost.call("POST", "/v1/import", {
      token: key,
      body: {
        bundle_id: a.bundle,
        events: [old, { ...live, message: "corrected" }, event(), event({ level: "bogus" })],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      accepted: 2,
      updated: 1,
      rejected: 1,
      filtered: 0,
      errors: [{ index: 3, message: "level must be one of info, debug, warn, error" }],
    });
    const rows = await stored(a.appId);
    expect(rows).toHaveLength(3);
    expect(rows.find((x) => x.client_event_id === live.client_event_id)?.message).toBe("corrected");
    expect(rows.find((x) => x.client_event_id === old.client_event_id)?.timestamp.toISOString()).toBe(
      "2021-03-04T05:06:07.089Z",
    );
    // Accepted counts each event once: the update adds nothing.
    const accepted = (await outcomes(a.projectId)).find(
      (o) => o.outcome === "accepted" && o.category === "default",
    );
    expect(accepted?.quantity).toBe(3);
    // An imported id dedups later ingest.
    const imported = rows.find(
      (x) => x.message === "screen_viewed" && x.client_event_id !== old.client_event_id,
    )!;
    const again = await send(a.key, {
      bundle_id: a.bundle,
      events: [{ ...event(), client_event_id: imported.client_event_id }],
    });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  test("keeps the id of an event whose time is unchanged; takes up to 10,000 events", async () => {
    const a = await freshApp({}, "backend");
    const imp = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "import", name: "b", app_id: a.appId },
    });
    const e = event({ environment: "backend", timestamp: "2022-01-01T00:00:00.000Z" });
    await f.roost.call("POST", "/v1/import", { token: imp.body.secret, body: { events: [e] } });
    const before = (await stored(a.appId))[0]?.id;
    await f.roost.call("POST", "/v1/import", {
      token: imp.body.secret,
      body: { events: [{ ...e, message: "v2" }] },
    });
    const after = await stored(a.appId);
    expect(after.map((x) => [x.id, x.message])).toEqual([[before, "v2"]]);
    const many = Array.from({ length: 10_000 }, () =>
      event({ environment: "backend", timestamp: "2020-06-01T00:00:00.000Z" }),
    );
    const r = await f.roost.call("POST", "/v1/import", { token: imp.body.secret, body: { events: many } });
    expect(r.body.accepted).toBe(10_000);
    const tooMany = await f.roost.call("POST", "/v1/import", {
      token: imp.body.secret,
      body: { events: [...many, event()] },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe("events must hold 1 to 10000 events, got 10001");
  });

  test("has no per-minute quota", async () => {
    const a = await freshApp({ quota: { events_per_minute: 1 } });
    const imp = await f.roost.call("POST", "/v1/keys", {
      token: f.t.token,
      body: { kind: "import", name: "q", app_id: a.appId },
    });
    const r = await f.roost.call("POST", "/v1/import", {
      token: imp.body.secret,
      body: { bundle_id: a.bundle, events: [event(), event(), event()] },
    });
    expect(r.body.accepted).toBe(3);
    expect((await send(a.key, { bundle_id: a.bundle, events: [event(), event()] })).status).toBe(429);
  });

  test("a client key on /v1/import → 403", async () => {
    const r = await f.roost.call("POST", "/v1/import", { token: f.t.clientKey, body: { events: [event()] } });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe("This endpoint takes a import key (owl_import_…)");
  });
});

describe("POST /v1/client-reports", () => {
  test("each entry becomes a client_discard outcome; unknown reasons are kept as null", async () => {
    const a = await freshApp();
    const r = await f.roost.call("POST", "/v1/client-reports", {
      token: a.key,
      body: {
        discarded_events: [
          { reason: "queue_overflow", category: "error", quantity: 3 },
          { reason: "made_up", category: "default", quantity: 2 },
          { reason: "network_error", category: "session", quantity: 0 },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ recorded: 3 });
    expect(await outcomes(a.projectId)).toEqual([
      { outcome: "client_discard", reason: null, category: "default", quantity: 2, times_seen: 2 },
      { outcome: "client_discard", reason: "queue_overflow", category: "error", quantity: 3, times_seen: 3 },
    ]);
  });

  test.each([
    [
      { discarded_events: [{ reason: "x", category: "nope", quantity: 1 }] },
      "discarded_events[0].category must be one of Sentry's data categories (error, default, session, …)",
    ],
    [
      { discarded_events: [{ reason: "x", category: "error", quantity: -1 }] },
      "discarded_events[0].quantity must be a whole number, 0 or more",
    ],
    [
      { discarded_events: [{ reason: 5, category: "error", quantity: 1 }] },
      "discarded_events[0].reason must be a string",
    ],
    [{}, "discarded_events is required: an array of {reason, category, quantity}"],
    [
      { discarded_events: [], timestamp: "2001-01-01T00:00:00Z" },
      "timestamp must be an ISO-8601 date within the last 30 days",
    ],
  ])("bad report %# → 400", async (body, message) => {
    const r = await f.roost.call("POST", "/v1/client-reports", { token: f.t.clientKey, body });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(message);
  });

  test("an agent key → 403", async () => {
    const r = await f.roost.call("POST", "/v1/client-reports", {
      token: f.t.adminKey,
      body: { discarded_events: [] },
    });
    expect(r.status).toBe(403);
  });
});
