import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { firstRunKeys, killServersAfterAll, startServer, stopServer, tempDir } from "../support/server";

/**
 * The server's log of a whole session of work, as a log shipper gets it (ROOST_LOG_FORMAT=json,
 * debug): every line after the first start's banner a JSON object, one request line per request
 * with its route, status, ms and team, the storage job's line, and none of the secrets the session
 * made (the owner's password, a session token, new keys, a webhook secret, a signed upload URL,
 * the metrics token) anywhere in it.
 */
const dir = tempDir("roost-logs-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = "logs-test-owner-password-9f3";
const METRICS_TOKEN = "logs-test-metrics-token-77c";

describe("the log of a session", () => {
  test("is JSON lines with route, status, ms and team, and holds no secret", async () => {
    const server = await startServer(dir, {
      ROOST_LOG_FORMAT: "json",
      ROOST_LOG_LEVEL: "debug",
      ROOST_ADMIN_PASSWORD: PASSWORD,
      ROOST_METRICS_TOKEN: METRICS_TOKEN,
      ROOST_STORAGE_SCHEDULE: "* * * * * *",
    });
    const { agent, client } = firstRunKeys(server.startup);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await fetch(`${server.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json().catch(() => null)) as any };
    };
    const secrets: string[] = [PASSWORD, METRICS_TOKEN];

    const email = /owner\s+(\S+)/.exec(server.startup)?.[1] as string;
    const login = await fetch(`${server.base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const session = ((await login.json()) as { token: string }).token;
    secrets.push(session);
    const me = await call("GET", "/v1/auth/me", client);
    const app = (await call("GET", `/v1/apps/${me.body.key.app_id}`, agent)).body;
    const made = await call("POST", "/v1/keys", session, {
      kind: "agent",
      name: "logs",
      team_id: app.team_id,
    });
    expect(made.status).toBe(201);
    secrets.push(made.body.secret);
    const imported = await call("POST", "/v1/keys", session, {
      kind: "import",
      name: "logs",
      app_id: app.id,
    });
    secrets.push(imported.body.secret);
    const hook = await call("POST", `/v1/projects/${app.project_id}/notifications`, session, {
      url: "https://hooks.example.com/roost-logs",
    });
    expect(hook.status).toBe(201);
    secrets.push(hook.body.secret);

    const environment = app.platform === "backend" ? "backend" : "ios";
    const ingest = await call("POST", "/v1/ingest", client, {
      bundle_id: app.bundle_id,
      events: [{ client_event_id: "logs-1", session_id: "s", level: "error", message: "boom", environment }],
    });
    expect(ingest.body.accepted).toBe(1);
    const content = new TextEncoder().encode("crash log");
    const reserved = await call("POST", "/v1/ingest/attachment", client, {
      client_event_id: "logs-1",
      original_filename: "crash.log",
      content_type: "text/plain",
      size_bytes: content.length,
      sha256: createHash("sha256").update(content).digest("hex"),
    });
    expect(reserved.status).toBe(201);
    const signature = new URL(reserved.body.upload_url).search.slice(1);
    secrets.push(signature);
    const upload = await fetch(reserved.body.upload_url.replace(/^https?:\/\/[^/]+/, server.base), {
      method: "PUT",
      headers: { authorization: `Bearer ${client}`, "content-type": "application/octet-stream" },
      body: content,
    });
    expect(upload.status).toBe(200);
    expect((await call("GET", "/v1/events?limit=5", made.body.secret)).status).toBe(200);
    expect((await call("GET", "/v1/events?limit=5", "owl_agent_wrong")).status).toBe(401);
    expect((await call("GET", "/metrics", METRICS_TOKEN)).status).toBe(200);
    await Bun.sleep(1500); // a storage run (every second here)
    expect(await stopServer(server)).toBe(0);

    const output = await server.output();
    for (const secret of secrets) expect(output.includes(secret)).toBe(false);
    // Every line a JSON object, but the first start's banner (its one deliberate showing of the
    // secrets it made itself, before the port opens).
    const lines = output.split("\n").filter(Boolean);
    const banner = lines.filter((l) => !l.startsWith("{"));
    expect(banner[0]).toBe("Roost is set up. Save these now: secrets are shown only this once.");
    expect(banner.every((l) => server.startup.includes(l))).toBe(true);
    const records = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.every((r) => typeof r.time === "string" && typeof r.level === "string")).toBe(true);
    const requests = records.filter((r) => r.msg === "request");
    const ingested = requests.find((r) => r.route === "/v1/ingest");
    expect(ingested).toMatchObject({ method: "POST", status: 200, team: app.team_id });
    expect(typeof ingested?.ms).toBe("number");
    const listed = requests.find((r) => r.route === "/v1/events" && r.status === 200);
    expect(listed?.team).toBe(app.team_id);
    expect(requests.some((r) => r.status === 401 && r.team === undefined)).toBe(true);
    expect(records.some((r) => r.msg === "storage job" && typeof r.ms === "number")).toBe(true);
  }, 60_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
