import { join } from "node:path";

/**
 * The cluster `npm run test:cluster` started (scripts/cluster.sh env): its two nodes, its
 * directory, and requests straight to one node, not through the proxy.
 */
export const nodes = (process.env.ROOST_NODE_URLS ?? "").split(",").filter(Boolean);
export const clusterDir = process.env.ROOST_CLUSTER_DIR as string;
const ROOT = join(import.meta.dir, "../..");

/** Refuses to run outside `npm run test:cluster` (a beforeAll's first line). */
export function requireCluster(): void {
  if (nodes.length !== 2 || !clusterDir) throw new Error("run through npm run test:cluster");
}

/** A request to one node; the body parsed when it is JSON. */
export async function onNode(node: number, method: string, path: string, token: string, body?: unknown) {
  const r = await fetch(`${nodes[node]}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed, headers: r.headers };
}

/** scripts/cluster.sh with these arguments (start, start-db, …); resolves to its exit code. */
export const clusterScript = (...args: string[]) =>
  Bun.spawn(["bash", join(ROOT, "scripts/cluster.sh"), ...args], {
    env: { ...process.env },
    stdout: "ignore",
    stderr: "ignore",
  }).exited;

/** `roost <args>` as an operator runs it beside the cluster (ROOST_STORE=clickhouse and its URLs). */
export async function roostCli(...args: string[]) {
  const cli = Bun.spawn(["node_modules/.bin/bun", "src/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ROOST_STORE: "clickhouse", ROOST_LOG_LEVEL: "silent" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(cli.stdout).text(),
    new Response(cli.stderr).text(),
    cli.exited,
  ]);
  return { out, err, code };
}
