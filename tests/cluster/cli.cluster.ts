import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { onNode, requireCluster, roostCli } from "./nodes";

/**
 * The CLI on a cluster (ROOST_STORE=clickhouse, decision 017): keys and users go to the control
 * plane every node reads, and the embedded store's commands refuse rather than open a DuckDB of
 * their own beside the cluster.
 */
let roost: Roost;
let t: Tenant;
beforeAll(async () => {
  requireCluster();
  roost = await startRoost();
  t = await roost.tenant("Cli");
});
afterAll(() => roost.close());

describe("the CLI on a cluster", () => {
  test("keys create, list and revoke reach every node", async () => {
    const created = await roostCli(
      "keys",
      "create",
      "--kind",
      "agent",
      "--team",
      t.team.slug,
      "--name",
      "cli",
    );
    expect([created.code, created.err]).toEqual([0, ""]);
    const secret = /^\s+(owl_agent_[0-9a-f]{48})$/m.exec(created.out)?.[1] as string;
    const id = /key ([0-9a-f-]{36})/.exec(created.out)?.[1] as string;
    expect(secret).toBeString();
    for (const node of [0, 1]) expect((await onNode(node, "GET", "/v1/projects", secret)).status).toBe(200);
    const listed = await roostCli("keys", "list", "--team", t.team.slug);
    expect(listed.out).toContain(`${id}  agent`);
    const revoked = await roostCli("keys", "revoke", id);
    expect(revoked.out).toBe(`Revoked key ${id}.\n`);
    for (const node of [0, 1]) expect((await onNode(node, "GET", "/v1/projects", secret)).status).toBe(401);
  });

  test("users add: the new member signs in on either node", async () => {
    const email = `cli-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const added = await roostCli(
      "users",
      "add",
      "--email",
      email,
      "--password",
      "a long password",
      "--team",
      t.team.slug,
    );
    expect(added.out).toBe(`Created ${email} as member of team ${t.team.slug}.\n`);
    for (const node of [0, 1]) {
      const r = await fetch(`${process.env.ROOST_NODE_URLS?.split(",")[node]}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "a long password" }),
      });
      expect(r.status).toBe(200);
    }
  });

  test.each([
    [
      ["seal"],
      "roost seal works on the embedded store's data directory; on a cluster, events stay in ClickHouse",
    ],
    [["compact"], "roost compact works on the embedded store's data directory"],
    [["demo"], "roost demo works on the embedded store's data directory"],
    [["backup", "/tmp/nowhere"], "roost backup works on the embedded store's data directory"],
    [["restore", "/tmp/nowhere"], "roost restore works on the embedded store's data directory"],
  ])("%p refuses, and says what to do instead", async (args, message) => {
    const r = await roostCli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toStartWith(`roost: ${message}`);
  });
});
