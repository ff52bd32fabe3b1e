import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { firstRunKeys, killServersAfterAll, MAIN, startServer, stopServer, tempDir } from "../support/server";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = tempDir("roost-cli-");
  dirs.push(dir);
  return dir;
}

async function runToEnd(args: string[], dataDir: string) {
  const child = Bun.spawn([process.execPath, MAIN, ...args, "--data", dataDir], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("roost serve", () => {
  test("first start sets up a ready team and prints its credentials; the second prints none and keeps the data", async () => {
    const dir = freshDir();
    const first = await startServer(dir, { ROOST_ADMIN_PASSWORD: "a-known-password" });
    const { agent, client } = firstRunKeys(first.startup);
    expect(client.startsWith("owl_client_")).toBe(true);
    expect(first.startup).toContain("owner           admin@localhost");
    expect(first.startup).toContain(`curl -H "Authorization: Bearer ${agent}" ${first.base}/v1/auth/me`);

    const me = await fetch(`${first.base}/v1/auth/me`, { headers: { authorization: `Bearer ${agent}` } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { key: { kind: string; permissions: string[]; team_id: string } };
    expect(body.key.kind).toBe("agent");
    expect(body.key.permissions).toEqual(["events:read", "org:read"]);

    const login = await fetch(`${first.base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@localhost", password: "a-known-password" }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const projects = await fetch(`${first.base}/v1/projects`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await projects.json()) as { projects: { slug: string }[] }).projects.map((p) => p.slug)).toEqual(
      ["default"],
    );

    expect(await stopServer(first)).toBe(0);
    const log = await first.output();
    expect(log).toContain("INFO shutting down signal=SIGTERM");
    expect(log).toContain("INFO stopped");

    const second = await startServer(dir);
    expect(second.startup).not.toContain("owl_agent_");
    expect(second.startup).toContain("migrations_applied=0");
    const again = await fetch(`${second.base}/v1/auth/me`, { headers: { authorization: `Bearer ${agent}` } });
    expect(again.status).toBe(200);
    const session = await fetch(`${second.base}/v1/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(session.status).toBe(200);
    expect(await stopServer(second, "SIGINT")).toBe(0);
  });

  test("administrative commands refuse while a server holds the data directory", async () => {
    const dir = freshDir();
    const server = await startServer(dir);
    const r = await runToEnd(["keys", "list"], dir);
    expect(r.code).toBe(2);
    // DuckDB names the holder: the server's executable and PID.
    expect(r.stderr).toContain("is in use by another process (");
    expect(r.stderr).toContain(`(PID ${server.child.pid})`);
    expect(await stopServer(server)).toBe(0);
  });
});

describe("roost keys and users", () => {
  test("create, list and revoke keys; add a user who can then sign in", async () => {
    const dir = freshDir();
    const server = await startServer(dir);
    await stopServer(server);

    const created = await runToEnd(
      ["keys", "create", "--name", "ci", "--permissions", "events:read,org:admin"],
      dir,
    );
    expect(created.code).toBe(0);
    const secret = /(owl_agent_[0-9a-f]{48})/.exec(created.stdout)?.[1];
    const id = /Created agent key ([0-9a-f-]{36})/.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();

    const listed = await runToEnd(["keys", "list"], dir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${id}  agent   ${secret?.slice(0, 14)}…`);
    expect(listed.stdout).not.toContain(secret!);
    expect(listed.stdout.trim().split("\n")).toHaveLength(3);

    expect((await runToEnd(["keys", "revoke", id!], dir)).code).toBe(0);
    expect((await runToEnd(["keys", "list"], dir)).stdout).toMatch(new RegExp(`${id}.*revoked`));

    const bad = await runToEnd(["keys", "create", "--permissions", "root"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown permission: root");

    const user = await runToEnd(
      ["users", "add", "--email", "Bob@Example.com", "--password", "bobs-password", "--role", "admin"],
      dir,
    );
    expect(user.stdout).toContain("Created bob@example.com as admin of team default.");

    const again = await startServer(dir);
    const revoked = await fetch(`${again.base}/v1/auth/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(revoked.status).toBe(401);
    const login = await fetch(`${again.base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "bob@example.com", password: "bobs-password" }),
    });
    expect(login.status).toBe(200);
    await stopServer(again);
  });

  test("roost seal moves every hot event into Parquet that a glob can read; roost compact runs the job", async () => {
    const dir = freshDir();
    const server = await startServer(dir);
    const { client } = firstRunKeys(server.startup);
    const events = Array.from({ length: 25 }, (_, i) => ({
      client_event_id: `e${i}`,
      session_id: "s",
      level: i % 5 === 0 ? "error" : "info",
      message: "hi",
      environment: "backend",
    }));
    const r = await fetch(`${server.base}/v1/ingest`, {
      method: "POST",
      headers: { authorization: `Bearer ${client}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    expect(((await r.json()) as { accepted: number }).accepted).toBe(25);
    await stopServer(server);

    const sealed = await runToEnd(["seal"], dir);
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).toContain("sealed 25 events into 1 files");
    const query = `SELECT level, count(*)::INTEGER AS n FROM read_parquet('${dir}/lake/events/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`;
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const duck = await DuckDBInstance.create(":memory:");
    const c = await duck.connect();
    expect((await c.runAndReadAll(query)).getRowObjectsJS()).toEqual([
      { level: "error", n: 5 },
      { level: "info", n: 20 },
    ]);
    c.closeSync();
    duck.closeSync();
    const compacted = await runToEnd(["compact"], dir);
    expect(compacted.code).toBe(0);
    expect(compacted.stdout).toContain("sealed 0 events");
  });

  test("--help lists every command, --version prints the version, an unknown command fails", async () => {
    const dir = freshDir();
    const help = await runToEnd(["--help"], dir);
    for (const word of [
      "serve",
      "keys create",
      "keys list",
      "keys revoke",
      "users add",
      "--data",
      "--port",
    ]) {
      expect(help.stdout).toContain(word);
    }
    expect((await runToEnd(["--version"], dir)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = await runToEnd(["frobnicate"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command 'frobnicate'");
  });
});

describe("roost demo", () => {
  test("loads the sample week into a 'demo' team the first owner sees, once", async () => {
    const dir = freshDir();
    const first = await startServer(dir, { ROOST_ADMIN_PASSWORD: "demo-owner-password" });
    await stopServer(first);
    const loaded = await runToEnd(["demo"], dir);
    expect(loaded.code).toBe(0);
    const events = Number(/(\d+) events/.exec(loaded.stdout)?.[1]);
    expect(events).toBeGreaterThan(5000);
    for (const outcome of ["accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard"]) {
      expect(loaded.stdout).toMatch(new RegExp(`${outcome} \\d+`));
    }
    const again = await runToEnd(["demo"], dir);
    expect(again.stdout).toContain("Team 'demo' exists already: nothing loaded.");

    const server = await startServer(dir);
    const login = await fetch(`${server.base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@localhost", password: "demo-owner-password" }),
    });
    const { token } = (await login.json()) as { token: string };
    const me = (await (
      await fetch(`${server.base}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      teams: Array<{ id: string; slug: string; role: string }>;
    };
    const demo = me.teams.find((t) => t.slug === "demo");
    expect(demo?.role).toBe("owner");
    const count = (await (
      await fetch(`${server.base}/v1/events/count?team_id=${demo?.id}&data_mode=all`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { count: number };
    expect(count.count).toBe(events);
    const attachments = (await (
      await fetch(`${server.base}/v1/attachments?limit=200`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { attachments: unknown[] };
    expect(attachments.attachments.length).toBeGreaterThan(10);
    expect(await stopServer(server)).toBe(0);
  });
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
