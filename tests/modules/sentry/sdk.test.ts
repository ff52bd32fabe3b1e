import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../../support/server";

/**
 * Sentry's own SDKs, unchanged, sending to a Roost started on a free port with only the DSN set.
 * Each SDK runs as a program of its own (tests/support/sentry-client.mjs): an SDK instruments its
 * whole process. `@sentry/node` runs under Node, as its users run it; `@sentry/bun` under Bun.
 */
const CLIENT = join(import.meta.dir, "../../support/sentry-client.mjs");
const PASSWORD = "a-known-password";

/** Runs the instrumented program to its end; what it printed last, as JSON. */
async function runClient(runtime: string, args: string[]): Promise<any> {
  const child = Bun.spawn([runtime, CLIENT, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${args[0]} client exited ${code}:\n${out}\n${err}`);
  return JSON.parse(out.trim().split("\n").at(-1) as string);
}

interface Sent {
  exception: string;
  withAttachment: string;
  messages: Record<"fatal" | "error" | "warning" | "info" | "debug", string>;
}

describe.each([
  ["@sentry/node", "node"],
  ["@sentry/bun", process.execPath],
])("%s", (sdk, runtime) => {
  let server: RunningServer;
  let dir: string;
  let agent: string;
  let sent: Sent;
  let events: Array<Record<string, any>>;
  const get = async (path: string) => {
    const r = await fetch(`${server.base}${path}`, { headers: { authorization: `Bearer ${agent}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as any;
  };

  beforeAll(async () => {
    dir = tempDir("roost-sentry-sdk-");
    server = await startServer(dir, { ROOST_ADMIN_PASSWORD: PASSWORD, ROOST_LOG_LEVEL: "silent" });
    const keys = firstRunKeys(server.startup);
    agent = keys.agent;
    const { projects } = await get("/v1/projects");
    const dsn = `http://${keys.client}@127.0.0.1:${server.port}/${projects[0].sentry_id}`;
    sent = await runClient(runtime, [sdk, dsn]);
    // Sentry's environment here is "staging": not production, so these are development events.
    events = (await get("/v1/events?limit=200&data_mode=all")).events;
  });
  afterAll(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  const byClientId = (id: string) => events.find((e) => e.client_event_id === id);
  /** stats_v2's totals of sum(quantity), keyed `<outcome>/<second group>`. */
  const totals = async (query: string, second: "category" | "reason") => {
    const stats = await get(
      `/api/0/organizations/default/stats_v2/?field=sum(quantity)&groupBy=outcome&groupBy=${second}&interval=1h&statsPeriod=1h${query}`,
    );
    return Object.fromEntries(
      (stats.groups as Array<{ by: Record<string, string>; totals: Record<string, number> }>).map((g) => [
        `${g.by.outcome}/${g.by[second]}`,
        g.totals["sum(quantity)"],
      ]),
    );
  };

  test("captureException: the exception as the message, its stack frames in the payload", async () => {
    const event = byClientId(sent.exception);
    expect(event).toMatchObject({
      level: "error",
      message: "TypeError: cannot check out 0 items",
      environment: "backend",
      app_version: "2.4.1",
      build_number: "77",
      is_dev: true,
    });
    expect(event?.custom_attributes).toMatchObject({
      "sentry.environment": "staging",
      "sentry.level": "error",
    });
    const detail = await get(`/v1/events/${event?.id}`);
    expect(detail.kind).toBe("event");
    const frames = detail.payload.exception.values[0].stacktrace.frames as Array<Record<string, unknown>>;
    expect(frames.some((f) => f.function === "checkout" && f.in_app === true)).toBe(true);
  });

  test("captureMessage at each level: Owlmetry's level, Sentry's kept as sentry.level", () => {
    const levels = { fatal: "error", error: "error", warning: "warn", info: "info", debug: "debug" } as const;
    for (const [sentryLevel, level] of Object.entries(levels)) {
      const event = byClientId(sent.messages[sentryLevel as keyof typeof levels]);
      expect(event?.message).toBe(`message at ${sentryLevel}`);
      expect(event?.level).toBe(level);
      expect(event?.custom_attributes["sentry.level"]).toBe(sentryLevel);
    }
  });

  test("a transaction with child spans: one event named by its root span, with the span count", async () => {
    const checkout = events.filter((e) => e.message === "checkout");
    expect(checkout).toHaveLength(1);
    expect(checkout[0]?.source_module).toBe("http.server");
    expect(checkout[0]?.custom_attributes.span_count).toBe("3");
    const detail = await get(`/v1/events/${checkout[0]?.id}`);
    expect(detail.kind).toBe("transaction");
    expect(JSON.stringify(detail.payload)).toContain("load cart");
    expect(JSON.stringify(detail.payload)).toContain("render");
  });

  test("a structured log becomes an event with its attributes", () => {
    const log = events.find((e) => e.message === "user signed in");
    expect(log?.level).toBe("info");
    expect(log?.custom_attributes.plan).toBe("pro");
  });

  test("scope.addAttachment: the file is listed with its event and downloads byte for byte", async () => {
    const event = byClientId(sent.withAttachment);
    const detail = await get(`/v1/events/${event?.id}`);
    expect(detail.attachments).toHaveLength(1);
    expect(detail.attachments[0]).toMatchObject({ original_filename: "cart.txt", size_bytes: 17 });
    const attachment = await get(`/v1/attachments/${detail.attachments[0].id}`);
    const download = await fetch(attachment.download_url);
    expect(await download.text()).toBe("3 apples, 2 pears");
  });

  test("stats_v2 shows what was sent, category by category: errors, transaction, spans, log, sessions, attachment, the client report", async () => {
    const byCategory = await totals("", "category");
    expect(byCategory).toMatchObject({
      // captureException twice, captureMessage at five levels; "drop me" was dropped by beforeSend.
      "accepted/error": 7,
      "client_discard/error": 1,
      "accepted/transaction": 1,
      "accepted/span": 3,
      "accepted/log_item": 1,
      // startSession (init) and endSession (exited): two updates of one session.
      "accepted/session": 2,
      "accepted/attachment": 17,
    });
    expect(byCategory["accepted/log_byte"]).toBeGreaterThan(0);
  });

  test("release health: the SDK's sessions, under its release, all ended cleanly", async () => {
    const { releases } = await get("/v1/release-health");
    expect(releases).toHaveLength(1);
    // The one the program started and ended, and the SDK's own for the process where it keeps one.
    const [release] = releases;
    expect(release).toMatchObject({
      release: "shop@2.4.1+77",
      environment: "staging",
      crashed: 0,
      crash_free_rate: 1,
    });
    expect(release.sessions).toBeGreaterThanOrEqual(1);
    expect(release.exited).toBe(release.sessions);
  });

  test("a project over its quota: the SDK sees 429 and X-Sentry-Rate-Limits, and holds back what follows", async () => {
    const login = await fetch(`${server.base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@localhost", password: PASSWORD }),
    });
    const token = ((await login.json()) as { token: string }).token;
    const owner = async (path: string, body: unknown) => {
      const r = await fetch(`${server.base}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(201);
      return (await r.json()) as any;
    };
    const { projects } = await get("/v1/projects");
    const project = await owner("/v1/projects", {
      team_id: projects[0].team_id,
      name: "quota",
      quota: { events_per_minute: 1 },
    });
    const app = await owner("/v1/apps", { project_id: project.id, name: "api", platform: "backend" });
    const dsn = app.client_key.dsn.replace("localhost", `127.0.0.1:${server.port}`);
    await runClient(runtime, [sdk, dsn, "quota"]);

    // The first fits the quota; the second is refused with 429 and the header; the SDK then drops
    // the third itself, and says so in its client report.
    expect(await totals(`&category=error&project=${project.id}`, "reason")).toEqual({
      "accepted/none": 1,
      "rate_limited/project_quota": 1,
      "client_discard/ratelimit_backoff": 1,
    });
  });
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
