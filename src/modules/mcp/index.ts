import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Value } from "@sinclair/typebox/value";
import { Elysia } from "elysia";
import { ApiError } from "../../lib/errors";
import type { Caller } from "../access/caller";
import { mayHold } from "../access/caller";
import type { Tool } from "./tools";

/**
 * An MCP server at `/mcp` (streamable HTTP, the official SDK, stateless: a server and transport
 * per request), authenticated like the API (an agent key or a user's session token) and bound by
 * the caller's permissions: a tool runs as its HTTP route would for the same caller (decision 015).
 */
export function mcpRoutes(
  identify: (authorization: string | null) => Promise<Caller>,
  tools: readonly Tool[],
  version: string,
) {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  return new Elysia().all(
    "/mcp",
    async ({ request }) => {
      const caller = await identify(request.headers.get("authorization"));
      if (caller.type === "key" && caller.kind !== "agent")
        throw new ApiError(403, "The MCP server takes an agent key (owl_agent_…) or a signed-in user");
      const server = new Server({ name: "roost", version }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({
        tools: tools
          .filter((tool) => mayHold(caller, tool.permission))
          .map((tool) => ({
            name: tool.name,
            description: tool.description,
            inputSchema: tool.input as never,
          })),
      }));
      server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
        const tool = byName.get(params.name);
        const fail = (message: string) => ({
          content: [{ type: "text" as const, text: message }],
          isError: true,
        });
        if (!tool) return fail(`Unknown tool: ${params.name}`);
        if (!mayHold(caller, tool.permission)) return fail(`Missing permission: ${tool.permission}`);
        const args = params.arguments ?? {};
        if (!Value.Check(tool.input, args)) {
          const first = Value.Errors(tool.input, args).First();
          return fail(
            `Invalid arguments: ${first ? `${first.path || "/"} ${first.message}` : "not an object"}`,
          );
        }
        try {
          const result = (await tool.run(caller, args)) as Record<string, unknown>;
          return {
            content: [{ type: "text" as const, text: JSON.stringify(result) }],
            structuredContent: result,
          };
        } catch (error) {
          if (error instanceof ApiError) return fail(error.message);
          throw error;
        }
      });
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    },
    {
      parse: "none",
      detail: {
        tags: ["mcp"],
        summary: "The MCP server (streamable HTTP): events, stats, projects, apps, issues, metrics",
      },
    },
  );
}
