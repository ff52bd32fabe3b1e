import { afterAll } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Servers started and not yet exited. */
const running = new Set<Subprocess>();

/**
 * Kills, when the calling test file ends, every server it started that still runs. Bun's test
 * runner does not run `process.on("exit")` handlers, so a failed expectation would otherwise leave
 * a server (and its storage job) running after the tests; a hook in this module would run once
 * per process, not per file, so each file that starts servers calls this, at its end: afterAll
 * hooks run in the order they are registered, and the file's own (a client's last flush, a clean
 * stop) must run first.
 */
export function killServersAfterAll(): void {
  afterAll(() => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** The real entry point as a child process, as a user runs it. */
export const MAIN = join(import.meta.dir, "../../src/main.ts");

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningServer {
  child: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  base: string;
  /** stdout up to the "listening" line: the first-run credentials, when there were any. */
  startup: string;
  /** All stdout, once the process has exited. */
  output(): Promise<string>;
}

/**
 * Starts `serve` on a free port and waits until `/health` answers (whatever the log level),
 * draining stdout all the while so a chatty server never blocks on a full pipe.
 */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  options: { command?: string[]; cwd?: string } = {},
): Promise<RunningServer> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const command = options.command ?? [process.execPath, MAIN];
  const child = Bun.spawn([...command, "serve", "--port", String(port), "--data", dataDir], {
    cwd: options.cwd,
    env: { ...process.env, ROOST_LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const decoder = new TextDecoder();
  const drained = (async () => {
    for await (const chunk of child.stdout) text += decoder.decode(chunk);
    return text;
  })();
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited:\n${text}${await new Response(child.stderr).text()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start within 20 s:\n${text}`);
    }
    const up = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await Bun.sleep(25);
  }
  // What the server printed before it opened the port may still be in the pipe.
  const settle = Date.now() + 300;
  while (!text.includes(" listening ") && Date.now() < settle) await Bun.sleep(10);
  running.add(child);
  void child.exited.then(() => running.delete(child));
  return { child, port, base, startup: text, output: () => drained };
}

/** The secrets printed on first run. */
export function firstRunKeys(startup: string) {
  const agent = /agent key\s+(owl_agent_[0-9a-f]{48})/.exec(startup)?.[1];
  const client = /client key\s+(owl_client_[0-9a-f]{48})/.exec(startup)?.[1];
  if (!agent || !client) throw new Error(`no first-run keys in:\n${startup}`);
  return { agent, client };
}

export async function stopServer(server: RunningServer, signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
  server.child.kill(signal);
  return server.child.exited;
}
