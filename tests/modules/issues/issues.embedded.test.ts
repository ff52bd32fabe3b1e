import { describe, expect, test } from "bun:test";
import { createApp } from "../../../src/app";
import { createLogger } from "../../../src/lib/log";
import { Store } from "../../../src/store/db";
import { migrate } from "../../../src/store/migrations";
import { requester } from "../../helpers";
import { issuesPath, list, nextId, roost, send, t, useIssuesRoost } from "./issues.support";

/**
 * Issues on the embedded store only: retention of the lake's files, and a restart of the one
 * process that groups (a cluster's are in tests/cluster/issues.cluster.ts).
 */
useIssuesRoost();

describe("retention", () => {
  test("an issue whose errors have all expired keeps its counts and says so", async () => {
    const p = await roost.call("POST", "/v1/projects", {
      token: t.token,
      body: { team_id: t.team.id, name: "short", retention_days: 2 },
    });
    const app = await roost.call("POST", "/v1/apps", {
      token: t.token,
      body: { project_id: p.body.id, name: "srv", platform: "backend" },
    });
    const imp = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "import", name: "i", app_id: app.body.id },
    });
    const ev = (message: string, daysBack: number) => ({
      client_event_id: crypto.randomUUID(),
      session_id: `${message}-${daysBack}`,
      level: "error",
      message,
      environment: "backend",
      timestamp: new Date(Date.now() - daysBack * 86_400_000).toISOString(),
    });
    const r = await roost.call("POST", "/v1/import", {
      token: imp.body.secret,
      body: {
        events: [
          ev("Old failure", 5),
          ev("Old failure", 4),
          ev("Lasting failure", 5),
          ev("Lasting failure", 0),
        ],
      },
    });
    expect(r.status).toBe(200);
    await roost.issuesSettled();
    await roost.lake.seal(new Date(Date.now() + 1000));
    await roost.lake.retain(new Date());
    const issues = (await roost.call("GET", `/v1/projects/${p.body.id}/issues`, { token: t.token })).body
      .issues as any[];
    const old = issues.find((i) => i.title === "Old failure");
    const lasting = issues.find((i) => i.title === "Lasting failure");
    expect(old).toMatchObject({ events_expired: true, event_count: 2, occurrence_count: 2 });
    expect(lasting).toMatchObject({ events_expired: false, event_count: 2 });
    const events = async (id: string) =>
      (await roost.call("GET", `/v1/events/count?issue_id=${id}`, { token: t.token })).body.count;
    expect(await events(old.id)).toBe(0);
    expect(await events(lasting.id)).toBe(1);
    const index = await roost.store.read<{ n: number }>(
      "SELECT count(*)::INTEGER AS n FROM issue_events WHERE issue_id IN (?::UUID, ?::UUID)",
      [old.id, lasting.id],
    );
    expect(index[0]?.n).toBe(1);
  });
});

describe("restart", () => {
  test("grouping memory survives a restart, and errors committed but not grouped are grouped at the start", async () => {
    await send(t, [{ message: "Disk full", session: "d1" }]);
    const before = await list(t, "?limit=200&data_mode=all");
    expect(before.map((i) => i.title)).toContain("Disk full");
    // An error committed, then the server stops before its round.
    await roost.services.grouper.stop();
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [
          {
            client_event_id: nextId(),
            session_id: "late",
            level: "error",
            message: "Disk full",
            environment: "ios",
          },
        ],
      },
    });
    expect(r.body.accepted).toBe(1);
    const dir = roost.dir;
    await roost.store.close();
    const store = await Store.open(dir, roost.config.duckdb);
    await migrate(store);
    const { app, services } = await createApp(roost.config, { store, log: createLogger("silent") });
    roost.store = store;
    try {
      await services.grouper.settle();
      const call = requester(app);
      const after = (await call("GET", issuesPath(t, "?limit=200&data_mode=all"), { token: t.token })).body
        .issues;
      expect(after.map((i: any) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
      const disk = after.find((i: any) => i.title === "Disk full");
      expect(disk.event_count).toBe(before.find((i) => i.title === "Disk full").event_count + 1);
    } finally {
      await services.grouper.stop();
    }
  });
});
