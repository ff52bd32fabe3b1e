/**
 * `npm run build`: the single executable, dist/roost (linux-x64), with the server, the CLI and
 * DuckDB inside. Only the linux-x64 glibc DuckDB binding is embedded (the others are left out);
 * src/compiled.ts carries libduckdb.so along and loads it first.
 *
 *   bun run scripts/build.ts [--outfile <path>]
 */
import { statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const at = process.argv.indexOf("--outfile");
const outfile = at > 0 ? (process.argv[at + 1] as string) : join(root, "dist", "roost");
const otherBindings = [
  "linux-x64-musl",
  "linux-arm64",
  "linux-arm64-musl",
  "darwin-arm64",
  "darwin-x64",
  "win32-arm64",
  "win32-x64",
];

const started = performance.now();
const build = Bun.spawnSync(
  [
    process.execPath,
    "build",
    "--compile",
    "--target=bun-linux-x64",
    "--bytecode",
    join(root, "src", "compiled.ts"),
    "--outfile",
    outfile,
    ...otherBindings.flatMap((b) => ["--external", `@duckdb/node-bindings-${b}`]),
  ],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);
const bytes = statSync(outfile).size;
console.log(
  JSON.stringify({
    build: outfile,
    mib: Math.round((bytes / 1024 / 1024) * 10) / 10,
    ms: Math.round(performance.now() - started),
  }),
);
