import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deflateSync, gzipSync } from "node:zlib";
import { type Roost, startRoost, type Tenant } from "../../helpers";
import { type Fresh, sentryFixture } from "./sentry.support";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Sentry");
});
afterAll(() => roost.close());

const { freshProject, hex, envelope, aSession, errorEvent, post, asKey, sendEvent, stored, outcomes } =
  sentryFixture(() => ({ roost, t }));

describe("DSN", () => {
  test("each project has its own sentry_id; a new app's client key comes with its DSN and a Sentry.init line", async () => {
    const a = await freshProject();
    const b = await freshProject();
    expect(Number.isInteger(a.sentryId)).toBe(true);
    expect(b.sentryId).toBeGreaterThan(a.sentryId);
    expect(a.dsn).toBe(`http://${a.key}@localhost/${a.sentryId}`);
    const app = await roost.call("GET", `/v1/projects/${a.projectId}`, { token: t.token });
    expect(app.body.sentry_id).toBe(a.sentryId);
  });
});

describe("POST /api/{sentry_id}/envelope/: authentication", () => {
  let f: Fresh;
  beforeAll(async () => {
    f = await freshProject();
  });
  const body = () => envelope({}, [[{ type: "event" }, errorEvent()]]);

  test("the key is taken from the query, X-Sentry-Auth, an Authorization: Sentry header, or the envelope's dsn", async () => {
    const auth = `Sentry sentry_version=7, sentry_client=sentry.python/2.0, sentry_key=${f.key}`;
    const replies = [
      await post(f, body(), { query: asKey(f) }),
      await post(f, body(), { headers: { "x-sentry-auth": auth } }),
      await post(f, body(), { headers: { authorization: auth } }),
      await post(f, envelope({ dsn: f.dsn }, [[{ type: "event" }, errorEvent()]])),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await stored(f.appId)).length).toBe(4);
  });

  test("answers {id} with the envelope's event_id, and lets any origin read it", async () => {
    const event = errorEvent();
    const r = await post(f, envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]), {
      query: asKey(f),
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: event.event_id });
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
  });

  test("no credentials → 403, Sentry's way, with a message the SDK can log", async () => {
    const r = await post(f, body());
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      detail:
        "Missing authentication information: send sentry_key in the query string, the X-Sentry-Auth header or the envelope's dsn",
    });
  });

  test("an unknown key → 401, wherever it is", async () => {
    const bad = "owl_client_000000000000000000000000000000000000000000000000";
    const replies = [
      await post(f, body(), { query: `?sentry_key=${bad}` }),
      await post(f, body(), { headers: { "x-sentry-auth": `Sentry sentry_key=${bad}` } }),
      await post(
        f,
        envelope({ dsn: `http://${bad}@localhost/${f.sentryId}` }, [[{ type: "event" }, errorEvent()]]),
      ),
    ];
    for (const r of replies) expect([r.status, r.body]).toEqual([401, { detail: "Invalid API key" }]);
  });

  test("two different keys in one request → 401", async () => {
    const other = await freshProject();
    const r = await post(f, body(), {
      query: asKey(f),
      headers: { "x-sentry-auth": `Sentry sentry_key=${other.key}` },
    });
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe(
      "The request names more than one key (query, X-Sentry-Auth, envelope dsn); send one",
    );
  });

  test("a key of another project, or of another team's, → 403 ProjectId; nothing is stored", async () => {
    const sibling = await freshProject();
    const stranger = await roost.tenant("Stranger");
    const foreign = await freshProject({}, () => stranger);
    for (const key of [sibling, foreign]) {
      const r = await post(f, body(), { query: asKey(key) });
      expect([r.status, r.body]).toEqual([
        403,
        { detail: "event submission rejected with_reason: ProjectId" },
      ]);
    }
    expect(await stored(sibling.appId)).toEqual([]);
    expect(await stored(foreign.appId)).toEqual([]);
  });

  test("an agent key → 403; a revoked client key → 401; a project that is not a number → 404", async () => {
    const agent = await post(f, body(), { query: `?sentry_key=${t.adminKey}` });
    expect([agent.status, agent.body]).toEqual([403, { detail: "A DSN takes a client key (owl_client_…)" }]);
    const g = await freshProject();
    await roost.call("DELETE", `/v1/keys/${g.keyId}`, { token: t.token });
    const revoked = await post(g, body(), { query: asKey(g) });
    expect([revoked.status, revoked.body]).toEqual([401, { detail: "API key has been revoked" }]);
    const r = await roost.call("POST", `/api/abc/envelope/${asKey(f)}`, { body: body() });
    expect([r.status, r.body]).toEqual([404, { detail: "Unknown project 'abc'" }]);
  });
});

describe("POST /api/{sentry_id}/envelope/: bodies and limits", () => {
  let f: Fresh;
  beforeAll(async () => {
    f = await freshProject();
  });

  test("gzip and deflate bodies are inflated; a body without a content type is read", async () => {
    const gz = await post(f, gzipSync(envelope({}, [[{ type: "event" }, errorEvent()]])), {
      query: asKey(f),
      headers: { "content-encoding": "gzip", "content-type": "" },
    });
    const df = await post(f, deflateSync(envelope({}, [[{ type: "event" }, errorEvent()]])), {
      query: asKey(f),
      headers: { "content-encoding": "deflate", "content-type": "application/x-sentry-envelope" },
    });
    expect([gz.status, df.status]).toEqual([200, 200]);
  });

  test("broken gzip → 400; br → 415; each with an invalid outcome", async () => {
    const g = await freshProject();
    const broken = await post(g, new Uint8Array([31, 139, 8, 0, 1, 2, 3]), {
      query: asKey(g),
      headers: { "content-encoding": "gzip" },
    });
    expect([broken.status, broken.body]).toEqual([400, { detail: "The request body is not valid gzip" }]);
    const br = await post(g, "x", { query: asKey(g), headers: { "content-encoding": "br" } });
    expect([br.status, br.body]).toEqual([
      415,
      { detail: "Content-Encoding 'br' is not supported; send gzip, deflate or nothing" },
    ]);
    expect(await outcomes(g.projectId)).toEqual([["invalid", "default", "payload", 2]]);
  });

  test("a gzip bomb stops at 100 MiB inflated → 413", async () => {
    const bomb = gzipSync(new Uint8Array(101 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(200_000);
    const r = await post(f, bomb, { query: asKey(f), headers: { "content-encoding": "gzip" } });
    expect([r.status, r.body]).toEqual([413, { detail: "The request body is larger than 100 MiB" }]);
  });

  test("a body over 20 MiB as sent → 413", async () => {
    const r = await post(f, new Uint8Array(20 * 1024 * 1024 + 1), { query: asKey(f) });
    expect([r.status, r.body]).toEqual([413, { detail: "The request body is larger than 20 MiB" }]);
  });

  test("an event over 1 MiB → 413; 101 sessions → 413; nothing stored", async () => {
    const g = await freshProject();
    const big = errorEvent({ extra: { blob: "x".repeat(1024 * 1024) } });
    const r = await post(g, envelope({}, [[{ type: "event" }, big]]), { query: asKey(g) });
    expect([r.status, r.body]).toEqual([413, { detail: "An event item is larger than 1048576 bytes" }]);
    const session = aSession();
    const many = envelope(
      {},
      Array.from({ length: 101 }, () => [{ type: "session" }, session] as [Record<string, unknown>, unknown]),
    );
    const s = await post(g, many, { query: asKey(g) });
    expect([s.status, s.body]).toEqual([
      413,
      { detail: "An envelope may hold at most 100 sessions, this one 101" },
    ]);
    expect(await stored(g.appId)).toEqual([]);
  });

  test("an attachment over 100 MiB → 413 (it cannot fit the inflated limit either)", async () => {
    const huge = gzipSync(
      envelope({}, [
        [
          { type: "attachment", length: 100 * 1024 * 1024 + 1, filename: "a.bin" },
          new Uint8Array(100 * 1024 * 1024 + 1),
        ],
      ]),
    );
    const r = await post(f, huge, { query: asKey(f), headers: { "content-encoding": "gzip" } });
    expect(r.status).toBe(413);
  });

  test("a truncated item → 400 with an invalid outcome; a body of only headers → 200; unknown items are skipped", async () => {
    const g = await freshProject();
    const truncated = await post(g, `{}\n{"type":"attachment","length":50}\nshort`, { query: asKey(g) });
    expect([truncated.status, truncated.body]).toEqual([
      400,
      { detail: "The envelope's item 1 is truncated: its header says 50 bytes, 5 follow" },
    ]);
    const onlyHeader = await post(g, `{"event_id":"${hex()}"}`, { query: asKey(g) });
    expect(onlyHeader.status).toBe(200);
    const unknown = await post(
      g,
      envelope({}, [
        [{ type: "profile_chunk" }, { x: 1 }],
        [{ type: "replay_video", length: 3 }, "abc"],
      ]),
      { query: asKey(g) },
    );
    expect(unknown.status).toBe(200);
    expect(await stored(g.appId)).toEqual([]);
    expect(await outcomes(g.projectId)).toEqual([["invalid", "default", "payload", 1]]);
  });

  test("the legacy store endpoint takes one bare event; malformed JSON → 400", async () => {
    const g = await freshProject();
    const event = errorEvent();
    const r = await post(g, JSON.stringify(event), { path: "store", query: asKey(g) });
    expect([r.status, r.body]).toEqual([200, { id: event.event_id }]);
    expect((await stored(g.appId)).map((e) => e.client_event_id)).toEqual([event.event_id]);
    const bad = await post(g, "{nope", { path: "store", query: asKey(g) });
    expect([bad.status, bad.body]).toEqual([400, { detail: "The request body is not valid JSON" }]);
  });
});

describe("POST /api/{sentry_id}/envelope/: what is stored", () => {
  test("an error event: Owlmetry's fields from Sentry's, the rest as attributes, the whole JSON as its payload", async () => {
    const f = await freshProject();
    const event = errorEvent({
      level: "fatal",
      environment: "staging",
      culprit: "checkout(app.js)",
      user: { id: "user-42", email: "a@example.com" },
      contexts: {
        os: { name: "Linux", version: "6.1" },
        device: { model: "c5.large" },
        trace: { trace_id: "t".repeat(32) },
      },
      tags: { region: "eu", shard: 3 },
      breadcrumbs: { values: [{ message: "cart loaded" }] },
    });
    expect((await sendEvent(f, event)).status).toBe(200);
    const [row] = await stored(f.appId);
    expect(row).toMatchObject({
      client_event_id: event.event_id,
      session_id: "t".repeat(32),
      user_id: "user-42",
      level: "error",
      message: "TypeError: cannot read properties of undefined",
      source_module: "checkout(app.js)",
      environment: "backend",
      os_version: "6.1",
      device_model: "c5.large",
      app_version: "2.4.1",
      build_number: "77",
      sdk_name: null,
      is_dev: true,
      kind: "event",
    });
    expect(JSON.parse(row?.custom_attributes)).toEqual({
      "sentry.level": "fatal",
      "sentry.environment": "staging",
      region: "eu",
      shard: "3",
    });
    const detail = await roost.call("GET", `/v1/events/${row?.id}`, { token: t.token });
    expect(detail.status).toBe(200);
    expect(detail.body.kind).toBe("event");
    expect(detail.body.payload.exception.values[0].stacktrace.frames[0]).toEqual({
      filename: "app.js",
      function: "checkout",
      lineno: 12,
      in_app: true,
    });
    expect(detail.body.payload.breadcrumbs.values[0].message).toBe("cart loaded");
  });

  test("levels map to Owlmetry's four; a message event reads as its message; production is not dev", async () => {
    const f = await freshProject();
    const levels = {
      fatal: "error",
      error: "error",
      warning: "warn",
      info: "info",
      debug: "debug",
      log: "info",
    };
    for (const level of Object.keys(levels)) {
      const { exception: _, ...rest } = errorEvent();
      await sendEvent(f, { ...rest, level, message: `at ${level}`, environment: "production" });
    }
    const rows = await stored(f.appId);
    expect(Object.fromEntries(rows.map((r) => [r.message.slice(3), r.level]))).toEqual(levels);
    expect(rows.every((r) => r.is_dev === false)).toBe(true);
  });

  test("a user without id is counted by a hash of the email, the same for every case of it", async () => {
    const f = await freshProject();
    await sendEvent(f, errorEvent({ user: { email: "Someone@Example.com" } }));
    await sendEvent(f, errorEvent({ user: { email: "someone@example.com" } }));
    const [a, b] = await stored(f.appId);
    expect(a?.user_id).toMatch(/^hash:[0-9a-f]{32}$/);
    expect(b?.user_id).toBe(a?.user_id);
  });

  test("the same event_id twice is stored once (a duplicate outcome)", async () => {
    const f = await freshProject();
    const event = errorEvent();
    await sendEvent(f, event);
    await sendEvent(f, event);
    expect((await stored(f.appId)).length).toBe(1);
    expect(await outcomes(f.projectId)).toEqual([
      ["accepted", "error", null, 1],
      ["invalid", "error", "duplicate", 1],
    ]);
  });

  test("every item type a current SDK sends gets stored and its outcome, category by category", async () => {
    const f = await freshProject();
    const event = errorEvent();
    const now = Date.now() / 1000;
    const traceId = hex();
    const spans = {
      version: 2,
      items: [
        {
          name: "GET /cart",
          span_id: "a1",
          trace_id: traceId,
          start_timestamp: now,
          end_timestamp: now + 0.25,
          is_segment: true,
          status: "ok",
          attributes: {
            "sentry.op": { value: "http.server", type: "string" },
            "sentry.segment.id": { value: "a1", type: "string" },
          },
        },
        {
          name: "SELECT cart",
          span_id: "b2",
          parent_span_id: "a1",
          trace_id: traceId,
          start_timestamp: now,
          end_timestamp: now + 0.1,
          is_segment: false,
          attributes: { "sentry.segment.id": { value: "a1", type: "string" } },
        },
      ],
    };
    const transaction = {
      event_id: hex(),
      type: "transaction",
      transaction: "POST /pay",
      start_timestamp: now,
      timestamp: now + 0.5,
      contexts: { trace: { trace_id: traceId, op: "http.server", status: "ok" } },
      spans: [{ span_id: "c3" }, { span_id: "d4" }],
    };
    const logs = {
      items: [
        {
          timestamp: now,
          level: "warn",
          body: "disk almost full",
          attributes: { free: { value: 3, type: "integer" } },
        },
        { timestamp: now, level: "info", body: "ok" },
      ],
    };
    const body = envelope({ event_id: event.event_id }, [
      [{ type: "event" }, event],
      [{ type: "attachment", length: 5, filename: "cart.txt", content_type: "text/plain" }, "hello"],
      [{ type: "span", item_count: 2, content_type: "application/vnd.sentry.items.span.v2+json" }, spans],
      [{ type: "transaction" }, transaction],
      [{ type: "log", item_count: 2, content_type: "application/vnd.sentry.items.log+json" }, logs],
      [
        { type: "session" },
        {
          sid: hex(),
          init: true,
          status: "exited",
          errors: 1,
          started: new Date().toISOString(),
          attrs: { release: "shop@2.4.1", environment: "production" },
        },
      ],
      [
        { type: "sessions" },
        {
          aggregates: [{ started: new Date().toISOString(), exited: 3, crashed: 1 }],
          attrs: { release: "shop@2.4.1" },
        },
      ],
      [{ type: "check_in" }, { check_in_id: hex(), monitor_slug: "nightly", status: "ok", duration: 1.5 }],
      [
        { type: "feedback" },
        { event_id: hex(), contexts: { feedback: { message: "love it", contact_email: "x@example.com" } } },
      ],
      [
        { type: "client_report" },
        {
          timestamp: now,
          discarded_events: [{ reason: "sample_rate", category: "transaction", quantity: 4 }],
        },
      ],
    ]);
    const r = await post(f, body, { query: asKey(f) });
    expect(r.status).toBe(200);
    const rows = await stored(f.appId);
    expect(rows.map((e) => [e.kind, e.message]).sort()).toEqual(
      [
        ["check_in", "nightly: ok"],
        ["event", "TypeError: cannot read properties of undefined"],
        ["feedback", "love it"],
        ["log", "disk almost full"],
        ["log", "ok"],
        ["transaction", "GET /cart"],
        ["transaction", "POST /pay"],
      ].sort(),
    );
    const segment = rows.find((e) => e.message === "GET /cart");
    expect(JSON.parse(segment?.custom_attributes)).toMatchObject({
      duration_ms: "250",
      status: "ok",
      span_count: "2",
    });
    expect(JSON.parse(segment?.payload).spans.map((s: { name: string }) => s.name)).toEqual(["SELECT cart"]);
    expect(rows.find((e) => e.message === "disk almost full")?.level).toBe("warn");
    expect(await outcomes(f.projectId)).toEqual([
      ["accepted", "attachment", null, 5],
      ["accepted", "error", null, 1],
      ["accepted", "feedback", null, 1],
      ["accepted", "log_byte", null, expect.any(Number)],
      ["accepted", "log_item", null, 2],
      ["accepted", "monitor", null, 1],
      ["accepted", "session", null, 5],
      ["accepted", "span", null, 5],
      ["accepted", "transaction", null, 2],
      ["client_discard", "transaction", "sample_rate", 4],
    ]);
    const health = await roost.call("GET", `/v1/release-health?app_id=${f.appId}`, { token: t.token });
    const total = (field: string) =>
      health.body.releases.reduce((n: number, r: Record<string, number>) => n + (r[field] ?? 0), 0);
    expect(["sessions", "exited", "errored", "crashed", "abnormal"].map(total)).toEqual([5, 3, 1, 1, 0]);
    const detail = await roost.call("GET", `/v1/events/${rows.find((e) => e.kind === "event")?.id}`, {
      token: t.token,
    });
    expect(detail.body.attachments.map((a: { original_filename: string }) => a.original_filename)).toEqual([
      "cart.txt",
    ]);
  });
});

describe("POST /api/{sentry_id}/envelope/: filters, quotas, a disabled project", () => {
  test("a project's quota reached → 429 with Retry-After and X-Sentry-Rate-Limits, and rate_limited outcomes", async () => {
    const f = await freshProject({ quota: { events_per_minute: 2 } });
    expect((await sendEvent(f)).status).toBe(200);
    expect((await sendEvent(f)).status).toBe(200);
    const r = await sendEvent(f);
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ detail: "This project's events-per-minute quota is used up" });
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(r.headers.get("x-sentry-rate-limits")).toBe(
      `${retry}:error;default;transaction;span;log_item;log_byte;monitor;feedback:project:project_quota`,
    );
    expect((await stored(f.appId)).length).toBe(2);
    expect(await outcomes(f.projectId)).toEqual([
      ["accepted", "error", null, 2],
      ["rate_limited", "error", "project_quota", 1],
    ]);
  });

  test("over quota, an envelope that also holds a session → 200 with the header; the session is kept", async () => {
    const f = await freshProject({ quota: { events_per_minute: 1 } });
    await sendEvent(f);
    const session = aSession();
    const r = await post(
      f,
      envelope({}, [
        [{ type: "event" }, errorEvent()],
        [{ type: "session" }, session],
      ]),
      {
        query: asKey(f),
      },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("x-sentry-rate-limits")).toContain(":project:project_quota");
    expect((await stored(f.appId)).length).toBe(1);
    expect(await outcomes(f.projectId)).toEqual([
      ["accepted", "error", null, 1],
      ["accepted", "session", null, 1],
      ["rate_limited", "error", "project_quota", 1],
    ]);
  });

  test("a project's inbound filters drop Sentry events too; a disabled project → 403 with an abuse outcome", async () => {
    const f = await freshProject({ filters: { levels: ["debug"] } });
    const { exception: _, ...rest } = errorEvent();
    expect((await sendEvent(f, { ...rest, level: "debug", message: "noise" })).status).toBe(200);
    expect(await stored(f.appId)).toEqual([]);
    expect(await outcomes(f.projectId)).toEqual([["filtered", "error", "level", 1]]);

    const g = await freshProject({ status: "disabled" });
    const r = await sendEvent(g);
    expect([r.status, r.body]).toEqual([403, { detail: "This project is disabled" }]);
    expect(await outcomes(g.projectId)).toEqual([["abuse", "error", "project_disabled", 1]]);
  });
});

describe("GET /v1/release-health", () => {
  test("sessions per release and environment, with the crash-free rate; filtered by environment and time", async () => {
    const f = await freshProject();
    const started = new Date().toISOString();
    const update = (release: string, over: Record<string, unknown>) => [
      { type: "session" },
      { sid: hex(), started, attrs: { release, environment: "production" }, ...over },
    ];
    const body = envelope({}, [
      update("shop@1.0", { init: true, status: "exited" }),
      update("shop@1.0", { init: true, status: "crashed" }),
      update("shop@1.0", { init: true, status: "ok" }),
      update("shop@1.0", { status: "exited", errors: 2 }),
      update("shop@2.0", { init: true, status: "ok" }),
      [
        { type: "sessions" },
        {
          aggregates: [{ started, exited: 6, abnormal: 1 }],
          attrs: { release: "shop@2.0", environment: "staging" },
        },
      ],
    ] as Array<[Record<string, unknown>, unknown]>);
    expect((await post(f, body, { query: asKey(f) })).status).toBe(200);

    const r = await roost.call("GET", `/v1/release-health?project_id=${f.projectId}`, { token: t.token });
    expect(r.status).toBe(200);
    expect(
      r.body.releases.map(({ first_seen: _, last_seen: __, ...rest }: Record<string, unknown>) => rest),
    ).toEqual([
      {
        release: "shop@2.0",
        environment: "staging",
        sessions: 7,
        exited: 6,
        errored: 0,
        crashed: 0,
        abnormal: 1,
        crash_free_rate: 1,
      },
      {
        release: "shop@1.0",
        environment: "production",
        sessions: 3,
        exited: 1,
        errored: 1,
        crashed: 1,
        abnormal: 0,
        crash_free_rate: 1 - 1 / 3,
      },
      {
        release: "shop@2.0",
        environment: "production",
        sessions: 1,
        exited: 0,
        errored: 0,
        crashed: 0,
        abnormal: 0,
        crash_free_rate: 1,
      },
    ]);
    const production = await roost.call(
      "GET",
      `/v1/release-health?project_id=${f.projectId}&environment=production`,
      {
        token: t.token,
      },
    );
    expect(production.body.releases.map((x: { release: string }) => x.release)).toEqual([
      "shop@1.0",
      "shop@2.0",
    ]);
    const later = await roost.call("GET", `/v1/release-health?project_id=${f.projectId}&since=2099-01-01`, {
      token: t.token,
    });
    expect(later.body).toEqual({ releases: [] });
  });

  test("bad input → 400; another team's project shows nothing", async () => {
    const bad = await roost.call("GET", "/v1/release-health?since=yesterday", { token: t.token });
    expect([bad.status, bad.body]).toEqual([
      400,
      { error: "since must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date" },
    ]);
    const order = await roost.call("GET", "/v1/release-health?since=1h&until=2h", { token: t.token });
    expect([order.status, order.body]).toEqual([400, { error: "since must not be after until" }]);
    const notUuid = await roost.call("GET", "/v1/release-health?project_id=nope", { token: t.token });
    expect([notUuid.status, notUuid.body]).toEqual([400, { error: "project_id must be a UUID" }]);
    const f = await freshProject();
    await post(f, envelope({}, [[{ type: "session" }, aSession()]]), { query: asKey(f) });
    const stranger = await roost.tenant("Releases");
    const theirs = await roost.call("GET", `/v1/release-health?project_id=${f.projectId}`, {
      token: stranger.token,
    });
    expect([theirs.status, theirs.body]).toEqual([200, { releases: [] }]);
  });
});

describe("Sentry's user feedback", () => {
  test("is filed as feedback, with its screenshot, beside Owlmetry's", async () => {
    const f = await freshProject();
    const eventId = hex();
    const screenshot = new TextEncoder().encode("PNG…");
    const body = envelope({ event_id: eventId, sent_at: new Date().toISOString() }, [
      [
        { type: "feedback" },
        {
          event_id: eventId,
          user: { id: "u-77" },
          release: "shop@3.0.0",
          contexts: {
            feedback: {
              message: "The export button does nothing",
              contact_email: "ann@example.com",
              name: "Ann",
              url: "https://shop.example.com/export",
            },
          },
        },
      ],
      [
        {
          type: "attachment",
          filename: "screenshot.png",
          content_type: "image/png",
          length: screenshot.length,
        },
        screenshot,
      ],
    ]);
    expect((await post(f, body, { query: asKey(f) })).status).toBe(200);
    const listed = await roost.call("GET", `/v1/projects/${f.projectId}/feedback?data_mode=all`, {
      token: t.token,
    });
    expect(listed.body.feedback).toHaveLength(1);
    const item = listed.body.feedback[0];
    expect(item).toMatchObject({
      app_id: f.appId,
      message: "The export button does nothing",
      submitter_name: "Ann",
      submitter_email: "ann@example.com",
      user_id: "u-77",
      app_version: "3.0.0",
      screen_name: "https://shop.example.com/export",
      client_event_id: eventId,
      status: "new",
    });
    const detail = await roost.call("GET", `/v1/projects/${f.projectId}/feedback/${item.id}`, {
      token: t.token,
    });
    expect(detail.body.attachments.map((a: { original_filename: string }) => a.original_filename)).toEqual([
      "screenshot.png",
    ]);
  });
});
