import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { ingestFixture } from "./ingest.support";

/**
 * Ingest behaviour of the embedded store: its dedup keys across a restart of the process and
 * their 7-day window in its key table, and imports that update stored events in place across a restart
 * and in sealed files. On a cluster, dedup across nodes and restarts is tested in
 * tests/cluster/cross-node.cluster.ts, and updates in place in ingest.test.ts.
 */
const { f, event, freshApp, send, restart, outcomes, listed, stored } = ingestFixture();

describe("POST /v1/ingest: dedup across restarts", () => {
  test("dedup is per app, and survives a restart", async () => {
    const a = await freshApp();
    const b = await freshApp();
    const e = event();
    expect((await send(a.key, { bundle_id: a.bundle, events: [e] })).body.accepted).toBe(1);
    expect((await send(b.key, { bundle_id: b.bundle, events: [e] })).body.accepted).toBe(1);
    const again = await send(
      a.key,
      { bundle_id: a.bundle, events: [e, event({ session_id: e.session_id })] },
      {},
      await restart(),
    );
    expect(again.body).toMatchObject({ accepted: 1, duplicates: 1 });
    // The session was seen before the restart, so it is not counted again.
    expect((await outcomes(a.projectId)).find((o) => o.category === "session")).toMatchObject({
      quantity: 2,
      times_seen: 1,
    });
  });

  test("an id stored more than 7 days ago is stored again", async () => {
    const a = await freshApp();
    const e = event();
    await send(a.key, { bundle_id: a.bundle, events: [e] });
    await f.roost.store.run("UPDATE event_keys SET seen_at = seen_at - INTERVAL 8 DAY");
    const r = await send(a.key, { bundle_id: a.bundle, events: [e] }, {}, await restart());
    expect(r.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });
});

describe("POST /v1/import: updates in place", () => {
  test("after a restart, an import still updates in place: the replaced ids are known from the key table", async () => {
    const a = await freshApp();
    const key = (
      await f.roost.call("POST", "/v1/keys", {
        token: f.t.token,
        body: { kind: "import", name: "backfill", app_id: a.appId },
      })
    ).body.secret;
    const first = event();
    const again = event();
    expect((await send(a.key, { bundle_id: a.bundle, events: [first, again] })).body.accepted).toBe(2);
    const call = await restart();
    const r = await call("POST", "/v1/import", {
      token: key,
      body: { bundle_id: a.bundle, events: [{ ...first, message: "corrected" }, event()] },
    });
    expect(r.body).toMatchObject({ accepted: 1, updated: 1, rejected: 0 });
    const rows = await stored(a.appId);
    expect(rows).toHaveLength(3);
    expect(rows.filter((x) => x.client_event_id === first.client_event_id).map((x) => x.message)).toEqual([
      "corrected",
    ]);
  });

  test("replaces sealed copies in place too: one copy after, its id kept when its time is, nothing counted twice", async () => {
    const a = await freshApp();
    const key = (
      await f.roost.call("POST", "/v1/keys", {
        token: f.t.token,
        body: { kind: "import", name: "sealed", app_id: a.appId },
      })
    ).body.secret;
    const hourAgo = Date.now() - 3_600_000;
    const same = event({ timestamp: new Date(hourAgo).toISOString() });
    const moved = event({ timestamp: new Date(hourAgo + 1000).toISOString() });
    const kept = event({ timestamp: new Date(hourAgo + 2000).toISOString() });
    expect((await send(a.key, { bundle_id: a.bundle, events: [same, moved, kept] })).body.accepted).toBe(3);
    const lake = new Lake(f.roost.store, f.roost.dir, createLogger("silent"));
    await lake.seal(new Date(Date.now() + 1000));
    const sealedIds = await listed(a);
    expect(sealedIds).toHaveLength(3);
    const r = await f.roost.call("POST", "/v1/import", {
      token: key,
      body: {
        bundle_id: a.bundle,
        events: [
          { ...same, message: "corrected" },
          // Its time changed: it leaves its hour (found among the project's other files).
          { ...moved, message: "moved", timestamp: "2024-02-03T04:05:06.000Z" },
        ],
      },
    });
    expect(r.body).toMatchObject({ accepted: 0, updated: 2, rejected: 0 });
    const after = await listed(a);
    expect(after.map((e) => [e.client_event_id, e.message]).sort()).toEqual(
      [
        [same.client_event_id, "corrected"],
        [moved.client_event_id, "moved"],
        [kept.client_event_id, kept.message],
      ].sort(),
    );
    const id = (e: { client_event_id: string }) =>
      sealedIds.find((x) => x.client_event_id === e.client_event_id)?.id;
    expect(after.find((e) => e.client_event_id === same.client_event_id)?.id).toBe(id(same));
    expect(after.find((e) => e.client_event_id === moved.client_event_id)?.id).not.toBe(id(moved));
    const accepted = (await outcomes(a.projectId)).find(
      (o) => o.outcome === "accepted" && o.category === "default",
    );
    expect(accepted?.quantity).toBe(3);
    // Once sealed again and compacted, still one copy each.
    await lake.seal(new Date(Date.now() + 1000));
    await lake.compact(new Date(Date.now() + 3_600_000));
    expect((await listed(a)).map((e) => e.message).sort()).toEqual(after.map((e) => e.message).sort());
  });
});
