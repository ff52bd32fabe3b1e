/**
 * `bun scripts/check-imports.ts [root]`: the import rules of docs/architecture.md, checked over
 * `<root>/src` (default: this repository). Exits 1 and prints each broken rule:
 *
 * - the folders of src/modules form no cycle (a feature that uses another is never used back);
 * - no file of src imports itself back through others;
 * - the server never imports the dashboard's code (src/web), nor the dashboard the server's,
 *   except types (`import type`, erased from the bundle) and the dashboard's HTML entry, which the
 *   server serves.
 *
 * Type-only imports count for both cycle rules: a type cycle ties the files together just the same.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

interface Import {
  target: string;
  typeOnly: boolean;
}

const SOURCE = /\.(ts|tsx)$/;
const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];
const transpilers = { ts: new Bun.Transpiler({ loader: "ts" }), tsx: new Bun.Transpiler({ loader: "tsx" }) };

/** Every specifier a file names (static, re-exported, dynamic), and which of them survive compiling. */
function importsOf(file: string): Import[] {
  // A shebang line is not TypeScript to the transpiler.
  const code = readFileSync(file, "utf8").replace(/^#!.*/, "");
  const all = new Set<string>();
  for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) all.add(m[1] as string);
  const transpiler = file.endsWith(".tsx") ? transpilers.tsx : transpilers.ts;
  const values = new Set(transpiler.scanImports(code).map((i) => i.path));
  const out: Import[] = [];
  for (const spec of all) {
    if (!spec.startsWith(".")) continue;
    const target = resolveSpecifier(dirname(file), spec);
    if (target) out.push({ target, typeOnly: !values.has(spec) });
  }
  return out;
}

function resolveSpecifier(from: string, spec: string): string | null {
  const base = resolve(from, spec);
  for (const ext of EXTENSIONS) {
    const path = base + ext;
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  return null;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

/** The cycles of a directed graph, one per strongly connected component of two or more nodes. */
function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

function addEdge(graph: Map<string, Set<string>>, from: string, to: string): void {
  const edges = graph.get(from) ?? new Set<string>();
  edges.add(to);
  graph.set(from, edges);
}

/** The broken rules under `root` (a repository with a src folder), one message each. */
export function checkImports(root: string): string[] {
  const src = join(root, "src");
  const web = join(src, "web") + sep;
  const modules = join(src, "modules") + sep;
  const name = (path: string) => relative(root, path).split(sep).join("/");
  const moduleOf = (path: string) =>
    path.startsWith(modules) ? (path.slice(modules.length).split(sep)[0] as string) : null;

  const problems: string[] = [];
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  for (const file of sourceFiles(src)) {
    for (const { target, typeOnly } of importsOf(file)) {
      addEdge(files, file, target);
      const [a, b] = [moduleOf(file), moduleOf(target)];
      if (a && b && a !== b) addEdge(folders, a, b);
      const crosses = file.startsWith(web) !== target.startsWith(web);
      if (crosses && !typeOnly && SOURCE.test(target)) {
        const side = file.startsWith(web)
          ? "the dashboard imports server code"
          : "the server imports dashboard code";
        problems.push(`${side}: ${name(file)} → ${name(target)} (only \`import type\` may cross)`);
      }
    }
  }
  for (const cycle of cyclesOf(folders)) {
    problems.push(`src/modules folders import each other in a cycle: ${cycle.join(", ")}`);
  }
  for (const cycle of cyclesOf(files)) {
    problems.push(`files import each other in a cycle: ${cycle.map(name).join(", ")}`);
  }
  return problems;
}

if (import.meta.main) {
  const root = resolve(process.argv[2] ?? join(import.meta.dir, ".."));
  const problems = checkImports(root);
  for (const problem of problems) console.error(problem);
  console.log(
    problems.length === 0 ? "imports: no cycles, no crossings" : `imports: ${problems.length} problem(s)`,
  );
  process.exit(problems.length === 0 ? 0 : 1);
}
