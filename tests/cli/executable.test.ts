import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { firstRunKeys, killServersAfterAll, startServer, stopServer, tempDir } from "../support/server";

const ROOT = join(import.meta.dir, "../..");
const alone = tempDir("roost-exe-"); // outside the repository: no node_modules anywhere near
const home = tempDir("roost-exe-home-");
const data = tempDir("roost-exe-data-");
const exe = join(alone, "roost");
const env = { HOME: home, XDG_CACHE_HOME: "", ROOST_DATA_DIR: data, ROOST_LOG_LEVEL: "info" };

beforeAll(() => {
  const built = join(tempDir("roost-build-"), "roost");
  const build = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outfile", built], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
  copyFileSync(built, exe);
  Bun.spawnSync(["chmod", "+x", exe]);
  rmSync(join(built, ".."), { recursive: true, force: true });
}, 120_000);

afterAll(() => {
  for (const dir of [alone, home, data]) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => {
  const r = Bun.spawnSync([exe, ...args], {
    cwd: alone,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

test("the executable alone: --version, --help", () => {
  expect(readdirSync(alone)).toEqual(["roost"]);
  const version = run(["--version"]);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toBe((require(join(ROOT, "package.json")) as { version: string }).version);
  const help = run(["--help"]);
  expect(help.code).toBe(0);
  for (const command of [
    "serve",
    "keys create",
    "keys list",
    "keys revoke",
    "users add",
    "seal",
    "compact",
  ]) {
    expect(help.stdout).toContain(command);
  }
});

test("the executable alone: ingest, read back, seal, read again, stop cleanly", async () => {
  const first = await startServer(data, env, { command: [exe], cwd: alone });
  const { agent, client } = firstRunKeys(first.startup);
  // The middle of the last hour: 20 events a second apart all fall in one hourly partition
  // (an hour before now, they straddled an hour's edge when the test ran just after one).
  const halfPast = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1_800_000;
  const events = Array.from({ length: 20 }, (_, i) => ({
    client_event_id: `exe-${i}`,
    session_id: "exe-session",
    user_id: `u-${i % 3}`,
    level: i % 5 === 0 ? "error" : "info",
    message: `event ${i}`,
    environment: "backend",
    timestamp: new Date(halfPast - i * 1000).toISOString(),
  }));
  const sent = await fetch(`${first.base}/v1/ingest`, {
    method: "POST",
    headers: { authorization: `Bearer ${client}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  expect(await sent.json()).toMatchObject({ accepted: 20, rejected: 0 });
  const read = async (base: string) => {
    const r = await fetch(`${base}/v1/events?limit=200&data_mode=all`, {
      headers: { authorization: `Bearer ${agent}` },
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { events: Array<{ client_event_id: string }> };
    return body.events.map((e) => e.client_event_id).sort();
  };
  // The dashboard comes from inside the executable too: the page and every asset it names.
  const html = await (await fetch(`${first.base}/`)).text();
  expect(html).toContain('<div id="app"></div>');
  const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] as string);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const asset of assets) {
    const r = await fetch(`${first.base}${asset}`);
    expect(r.status).toBe(200);
    expect((await r.text()).length).toBeGreaterThan(100);
  }
  const hot = await read(first.base);
  expect(hot).toEqual(events.map((e) => e.client_event_id).sort());
  expect(await stopServer(first)).toBe(0);

  const sealed = run(["seal"]);
  expect(sealed.code).toBe(0);
  expect(sealed.stdout).toContain("sealed 20 events into 1 files");
  expect(existsSync(join(data, "lake", "events"))).toBe(true);

  const second = await startServer(data, env, { command: [exe], cwd: alone });
  expect(await read(second.base)).toEqual(hot);
  expect(await stopServer(second)).toBe(0);
  expect(await second.output()).toContain("INFO stopped");
  // The DuckDB library was written once to the cache under HOME, nowhere else.
  expect(readdirSync(join(home, ".cache", "roost")).length).toBe(1);
  expect(readdirSync(alone)).toEqual(["roost"]);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
