import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { mcpClient, toolJson } from "../support/mcp";

/** `/mcp` driven by the MCP SDK's own client, in-process (its fetch goes to `app.handle`). */
let roost: Roost;
let t: Tenant;
let other: Tenant;
beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Mcp");
  other = await roost.tenant("Other");
  const events = Array.from({ length: 5 }, (_, i) => ({
    client_event_id: `mcp-${i}`,
    session_id: "s",
    user_id: i < 3 ? "u1" : "u2",
    level: i === 0 ? "error" : "info",
    message: i === 0 ? "Database is locked" : "hello",
    environment: "ios",
  }));
  expect(
    (
      await roost.call("POST", "/v1/ingest", {
        token: t.clientKey,
        body: { bundle_id: t.app.bundle_id, events },
      })
    ).body.accepted,
  ).toBe(5);
  await roost.issuesSettled();
});
afterAll(() => roost.close());

const connect = (token: string) =>
  mcpClient("http://localhost/mcp", token, (url, init) => roost.app.handle(new Request(String(url), init)));

describe("/mcp", () => {
  test("lists the tools the key may use, with the HTTP routes' own input schemas", async () => {
    const client = await connect(t.adminKey);
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual([
      "count_events",
      "get_event",
      "list_apps",
      "list_events",
      "list_issues",
      "list_projects",
      "query_metric",
      "usage_stats",
    ]);
    const list = tools.find((x) => x.name === "list_events") as any;
    expect(Object.keys(list.inputSchema.properties)).toEqual(
      expect.arrayContaining([
        "project_id",
        "app_id",
        "user_id",
        "session_id",
        "level",
        "since",
        "cursor",
        "limit",
      ]),
    );
    await client.close();
    // The first-run style key: events and org only.
    const narrow = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "agent", name: "narrow", team_id: t.team.id, permissions: ["events:read"] },
    });
    const limited = await connect(narrow.body.secret);
    expect((await limited.listTools()).tools.map((x) => x.name).sort()).toEqual([
      "count_events",
      "get_event",
      "list_events",
    ]);
    const refused = await limited.callTool({ name: "list_projects", arguments: {} });
    expect(refused.isError).toBe(true);
    expect((refused.content as any)[0].text).toBe("Missing permission: org:read");
    await limited.close();
  });

  test("events, counts, one event, projects, apps, issues, stats and a metric, as the API answers them", async () => {
    const client = await connect(t.adminKey);
    const listed = toolJson(
      await client.callTool({ name: "list_events", arguments: { user_id: "u1", limit: "2" } }),
    );
    expect(listed.events).toHaveLength(2);
    expect(listed.has_more).toBe(true);
    const api = await roost.call("GET", "/v1/events?user_id=u1&limit=2", { token: t.adminKey });
    expect(listed).toEqual(api.body);
    const counted = toolJson(await client.callTool({ name: "count_events", arguments: {} }));
    expect(counted).toMatchObject({ count: 5, unique_users: 2, unique_sessions: 1 });
    const one = toolJson(
      await client.callTool({ name: "get_event", arguments: { id: listed.events[0].id } }),
    );
    expect(one.id).toBe(listed.events[0].id);
    const projects = toolJson(await client.callTool({ name: "list_projects", arguments: {} }));
    expect(projects.projects.map((p: any) => p.id)).toEqual([t.project.id]);
    const apps = toolJson(
      await client.callTool({ name: "list_apps", arguments: { project_id: t.project.id } }),
    );
    expect(apps.apps.map((a: any) => a.id)).toEqual([t.app.id]);
    const issues = toolJson(await client.callTool({ name: "list_issues", arguments: {} }));
    expect(issues.issues.map((i: any) => i.title)).toEqual(["Database is locked"]);
    const stats = toolJson(
      await client.callTool({
        name: "usage_stats",
        arguments: {
          organization: t.team.slug,
          field: "sum(quantity)",
          groupBy: "outcome",
          category: "default",
          statsPeriod: "1d",
          interval: "1d",
        },
      }),
    );
    // Four info events in `default`; the error counts in `error`.
    expect(stats.groups.find((g: any) => g.by.outcome === "accepted").totals["sum(quantity)"]).toBe(4);
    const metric = toolJson(
      await client.callTool({
        name: "query_metric",
        arguments: { project_id: t.project.id, slug: "upload" },
      }),
    );
    expect(metric).toMatchObject({ slug: "upload", aggregation: { total_count: 0 } });
    await client.close();
  });

  test("bad arguments and another team's objects are tool errors; no key 401, a client key 403", async () => {
    const client = await connect(t.adminKey);
    const bad = await client.callTool({ name: "list_events", arguments: { limit: 5 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as any)[0].text).toStartWith("Invalid arguments: /limit");
    const wrong = await client.callTool({ name: "list_events", arguments: { level: "loud" } });
    expect((wrong.content as any)[0].text).toStartWith("Unknown log level(s): loud");
    const foreign = await client.callTool({ name: "list_apps", arguments: { project_id: other.project.id } });
    expect(toolJson(foreign)).toEqual({ apps: [] });
    const theirs = await client.callTool({
      name: "query_metric",
      arguments: { project_id: other.project.id, slug: "x" },
    });
    expect((theirs.content as any)[0].text).toBe("Project not found");
    await client.close();
    const body = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const headers = { accept: "application/json, text/event-stream" };
    expect((await roost.call("POST", "/mcp", { body, headers })).status).toBe(401);
    const asClient = await roost.call("POST", "/mcp", { token: t.clientKey, body, headers });
    expect(asClient.status).toBe(403);
    expect(asClient.body.error).toBe("The MCP server takes an agent key (owl_agent_…) or a signed-in user");
  });
});
