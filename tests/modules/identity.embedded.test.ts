import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { createLogger } from "../../src/lib/log";
import { Store } from "../../src/store/db";
import { migrate } from "../../src/store/migrations";
import { requester } from "../helpers";
import { claim, count, nextId, roost, send, t, useIdentityRoost } from "./identity.support";

/**
 * Identity claims across a restart of the one process (a cluster's claims across nodes are in
 * tests/cluster/cross-node.cluster.ts).
 */
useIdentityRoost();

describe("claims across a restart", () => {
  test("claims survive a restart: memory is loaded again, and later events still resolve", async () => {
    const anon = "owl_anon_restart";
    await send(t, anon, 2);
    await roost.lake.seal(new Date(Date.now() + 1000));
    await claim({ anonymous_id: anon, user_id: "restart-user" });
    const before = await count(`project_id=${t.project.id}&data_mode=all`);

    const dir = roost.dir;
    await roost.store.close();
    const store = await Store.open(dir, roost.config.duckdb);
    await migrate(store);
    const { app } = await createApp(roost.config, { store, log: createLogger("silent") });
    const call = requester(app);
    try {
      const after = await call("GET", `/v1/events/count?project_id=${t.project.id}&data_mode=all`, {
        token: t.adminKey,
      });
      expect(after.body).toEqual(before.body);
      const late = await call("POST", "/v1/ingest", {
        token: t.clientKey,
        body: {
          bundle_id: t.app.bundle_id,
          events: [
            {
              client_event_id: nextId("r"),
              session_id: "s",
              user_id: anon,
              level: "info",
              message: "m",
              environment: "ios",
            },
          ],
        },
      });
      expect(late.body.accepted).toBe(1);
      const page = await call("GET", `/v1/events?user_id=restart-user&project_id=${t.project.id}`, {
        token: t.adminKey,
      });
      expect(page.body.events.map((e: { user_id: string }) => e.user_id)).toEqual([
        "restart-user",
        "restart-user",
        "restart-user",
      ]);
      const again = await call("POST", "/v1/identity/claim", {
        token: t.clientKey,
        body: { anonymous_id: anon, user_id: "someone-new" },
      });
      expect(again.status).toBe(409);
    } finally {
      // The suite's close() closes the reopened store and removes the directory.
      roost.store = store;
    }
  });
});
