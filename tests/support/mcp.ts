import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/**
 * The MCP SDK's own client on a Roost's `/mcp` with a key or a session: over the network, or
 * through `fetch` (a test's `app.handle`).
 */
export async function mcpClient(
  url: string,
  token: string,
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>,
): Promise<Client> {
  const client = new Client({ name: "roost-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      ...(fetch ? { fetch } : {}),
    }),
  );
  return client;
}

/** A tool's answer, parsed; a tool's error thrown. */
export function toolJson(result: any): any {
  if (result.isError) throw new Error(result.content[0].text);
  return JSON.parse(result.content[0].text);
}
