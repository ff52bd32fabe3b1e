import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** These tests run the real entry point as a child process, as a user would. */
const MAIN = join(import.meta.dir, "../../src/main.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "roost-cli-"));
  dirs.push(dir);
  return dir;
}

function roost(args: string[], dataDir: string, env: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, MAIN, ...args, "--data", dataDir], {
    env: { ...process.env, ROOST_LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function runToEnd(args: string[], dataDir: string) {
  const child = roost(args, dataDir);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

/** Starts `serve` on a free port and reads stdout until the server says it listens. */
async function startServer(dataDir: string, env: Record<string, string> = {}) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = roost(["serve", "--port", String(port)], dataDir, env);
  const reader = child.stdout.getReader();
  let output = "";
  const deadline = Date.now() + 15_000;
  while (!output.includes(" listening ")) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${output}${await new Response(child.stderr).text()}`);
    output += new TextDecoder().decode(value);
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return output;
      output += new TextDecoder().decode(value);
    }
  })();
  return { child, port, firstOutput: output, allOutput: () => rest, base: `http://127.0.0.1:${port}` };
}

async function stop(child: Subprocess, signal: NodeJS.Signals = "SIGTERM") {
  child.kill(signal);
  return child.exited;
}

describe("roost serve", () => {
  test("first start sets up a ready team and prints its credentials; the second prints none and keeps the data", async () => {
    const dir = freshDir();
    const first = await startServer(dir, { ROOST_ADMIN_PASSWORD: "a-known-password" });
    const agent = /agent key\s+(owl_agent_[0-9a-f]{48})/.exec(first.firstOutput)?.[1];
    const client = /client key\s+(owl_client_[0-9a-f]{48})/.exec(first.firstOutput)?.[1];
    expect(agent).toBeDefined();
    expect(client).toBeDefined();
    expect(first.firstOutput).toContain("owner           admin@localhost");
    expect(first.firstOutput).toContain(`curl -H "Authorization: Bearer ${agent}" ${first.base}/v1/auth/me`);

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

    expect(await stop(first.child)).toBe(0);
    const log = await first.allOutput();
    expect(log).toContain("INFO shutting down signal=SIGTERM");
    expect(log).toContain("INFO stopped");

    const second = await startServer(dir);
    expect(second.firstOutput).not.toContain("owl_agent_");
    expect(second.firstOutput).toContain("migrations_applied=0");
    const again = await fetch(`${second.base}/v1/auth/me`, { headers: { authorization: `Bearer ${agent}` } });
    expect(again.status).toBe(200);
    const session = await fetch(`${second.base}/v1/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(session.status).toBe(200);
    expect(await stop(second.child, "SIGINT")).toBe(0);
  });

  test("administrative commands refuse while a server holds the data directory", async () => {
    const dir = freshDir();
    const server = await startServer(dir);
    const r = await runToEnd(["keys", "list"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is in use by another process (a running Roost server?)");
    expect(await stop(server.child)).toBe(0);
  });
});

describe("roost keys and users", () => {
  test("create, list and revoke keys; add a user who can then sign in", async () => {
    const dir = freshDir();
    const server = await startServer(dir);
    await stop(server.child);

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
    await stop(again.child);
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
