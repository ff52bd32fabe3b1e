/**
 * For the single executable only (src/compiled.ts imports this first): DuckDB's binding,
 * `duckdb.node`, needs `libduckdb.so` next to it (RUNPATH $ORIGIN), but Bun extracts an embedded
 * addon to a temporary file of its own. So the library travels inside the executable too, is
 * written once to a cache directory, and is loaded here before the binding: the dynamic loader
 * then satisfies the binding's `libduckdb.so` dependency with the library already loaded under
 * that soname.
 */
import { dlopen } from "bun:ffi";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: a file import: in the executable, the path of the embedded copy.
import embedded from "../../node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so" with { type: "file" };
import pkg from "../../package.json";

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(homedir(), ".cache") : tmpdir());
  return join(base, "roost", pkg.version);
}

/** Writes the embedded library to the cache once (same size: already there) and returns its path. */
function extract(): string {
  const bytes = readFileSync(embedded as string);
  const dir = cacheDir();
  const path = join(dir, `libduckdb-${bytes.length}.so`);
  if (existsSync(path) && statSync(path).size === bytes.length) return path;
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, bytes, { mode: 0o755 });
  renameSync(partial, path); // atomic: two first starts at once both end with a whole file
  return path;
}

// bun:ffi wants at least one symbol; the library's version function is a harmless one.
dlopen(extract(), { duckdb_library_version: { args: [], returns: "cstring" } });
