/**
 * A tiny round-robin HTTP proxy in front of Roost nodes (scripts/cluster.sh; what a load balancer
 * does): each request goes to the next node; a node that refuses the connection is skipped for
 * that request (nothing was sent to it, so trying the next one cannot store anything twice).
 *
 *   ROOST_PROXY_PORT=17000 ROOST_PROXY_TARGETS=http://127.0.0.1:17001,http://127.0.0.1:17002 bun scripts/proxy.ts
 */
const port = Number(process.env.ROOST_PROXY_PORT ?? 17000);
const targets = (process.env.ROOST_PROXY_TARGETS ?? "").split(",").filter(Boolean);
if (targets.length === 0) throw new Error("ROOST_PROXY_TARGETS: the nodes' base URLs, separated by commas");
let next = 0;

const refused = (error: unknown) => /ECONNREFUSED|ConnectionRefused|Unable to connect/i.test(String(error));

Bun.serve({
  port,
  hostname: "127.0.0.1",
  maxRequestBodySize: 256 * 1024 * 1024,
  async fetch(request) {
    const url = new URL(request.url);
    const body = request.body ? await request.arrayBuffer() : undefined;
    // The Host the client asked for goes on (DSNs and signed URLs are made from it), as a load balancer keeps it.
    const headers = new Headers(request.headers);
    let lastError: unknown = null;
    for (let tries = 0; tries < targets.length; tries++) {
      const target = targets[next++ % targets.length] as string;
      try {
        const answer = await fetch(`${target}${url.pathname}${url.search}`, {
          method: request.method,
          headers,
          body,
          redirect: "manual",
        });
        const out = new Headers(answer.headers);
        out.set("x-roost-node", target);
        out.delete("content-encoding");
        out.delete("content-length");
        return new Response(await answer.arrayBuffer(), { status: answer.status, headers: out });
      } catch (error) {
        lastError = error;
        if (!refused(error)) break;
      }
    }
    return Response.json({ error: `no node answered: ${String(lastError)}` }, { status: 502 });
  },
});
console.log(`proxy on http://127.0.0.1:${port} → ${targets.join(", ")}`);
