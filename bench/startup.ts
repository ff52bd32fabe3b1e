/**
 * Start-up time of the single executable to a ready /health, and its size. Build it first
 * (`npm run build`). Fresh: an empty data directory (first run: migrations, first team, argon2
 * password hash). Warm: the same directory again.
 *
 *   bun run bench/startup.ts [--exe dist/roost] [--runs 5]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args";

const { flags } = parseArgs(process.argv.slice(2));
const exe = String(flags.exe ?? join(import.meta.dir, "..", "dist", "roost"));
const runs = Number(flags.runs ?? 5);

async function startOnce(dataDir: string, home: string): Promise<number> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const started = performance.now();
  const child = Bun.spawn([exe, "serve", "--port", String(port), "--data", dataDir], {
    env: { ...process.env, HOME: home, ROOST_LOG_LEVEL: "silent" },
    stdout: "ignore",
    stderr: "ignore",
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(5);
  }
  const ms = performance.now() - started;
  child.kill("SIGTERM");
  await child.exited;
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fresh: number[] = [];
const warm: number[] = [];
const home = mkdtempSync(join(tmpdir(), "roost-startup-home-"));
for (let i = 0; i < runs; i++) {
  const data = mkdtempSync(join(tmpdir(), "roost-startup-"));
  fresh.push(await startOnce(data, home));
  warm.push(await startOnce(data, home));
  rmSync(data, { recursive: true, force: true });
}
rmSync(home, { recursive: true, force: true });
console.log(
  JSON.stringify({
    benchmark: "startup",
    exe,
    size_mib: Math.round((statSync(exe).size / 1024 / 1024) * 10) / 10,
    runs,
    fresh_ms_p50: Math.round(median(fresh)),
    warm_ms_p50: Math.round(median(warm)),
    fresh_ms: fresh.map(Math.round),
    warm_ms: warm.map(Math.round),
  }),
);
