import { describe, expect, test } from "bun:test";
import {
  ANON,
  claim,
  count,
  events,
  LATE_ANON,
  nextId,
  other,
  roost,
  send,
  t,
  useIdentityRoost,
} from "./identity.support";

/** Owlmetry's identity claims (decision 010), on every backend. */
useIdentityRoost();

describe("POST /v1/identity/claim", () => {
  test("the anonymous user's events, sealed and hot, become the user's: listing, count, later events", async () => {
    await send(t, ANON, 3);
    await roost.lake.seal(new Date(Date.now() + 1000)); // three sealed under the anonymous id
    await send(t, ANON, 2); // two hot
    await send(t, "user-42", 1);

    const before = await count(`user_id=user-42&project_id=${t.project.id}`);
    expect(before.body.count).toBe(1);
    const all = await count(`project_id=${t.project.id}`);
    expect(all.body.unique_users).toBe(2);

    const r = await claim({ anonymous_id: ANON, user_id: "user-42" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ claimed: true, events_reassigned_count: 5 });

    await send(t, ANON, 1); // arrives after the claim, under the anonymous id
    const page = await events(`user_id=user-42&project_id=${t.project.id}`);
    expect(page.status).toBe(200);
    expect(page.body.events).toHaveLength(7);
    expect(new Set(page.body.events.map((e: { user_id: string }) => e.user_id))).toEqual(
      new Set(["user-42"]),
    );
    // Asking by the anonymous id finds the same user.
    expect((await events(`user_id=${ANON}&project_id=${t.project.id}`)).body.events).toHaveLength(7);

    const counted = await count(`project_id=${t.project.id}`);
    expect(counted.body).toMatchObject({ count: 7, unique_users: 1 });
    expect((await count(`user_id=user-42&project_id=${t.project.id}`)).body).toMatchObject({
      count: 7,
      unique_users: 1,
    });
    // A filtered count reads the rows (not the summaries) and agrees.
    expect((await count(`project_id=${t.project.id}&level=info`)).body).toMatchObject({ unique_users: 1 });
  });

  test("is idempotent, and the same after a seal and a compaction", async () => {
    const again = await claim({ anonymous_id: ANON, user_id: "user-42" });
    expect(again.body).toEqual({ claimed: true, events_reassigned_count: 0 });
    await roost.lake.seal(new Date(Date.now() + 1000));
    await roost.lake.compact(new Date(Date.now() + 7_200_000));
    const page = await events(`user_id=user-42&project_id=${t.project.id}`);
    expect(page.body.events).toHaveLength(7);
    expect((await count(`project_id=${t.project.id}`)).body).toMatchObject({ count: 7, unique_users: 1 });
    // A cluster keeps its rows as stored (resolved when read): the rest is the embedded lake's.
    if (roost.onCluster) return;
    // Compaction rewrote the sealed rows: the files hold the user's id only.
    const live = await roost.store.read<{ path: string }>(
      "SELECT path FROM lake_files WHERE project_id = ?::UUID",
      [t.project.id],
    );
    expect(live).toHaveLength(1);
    const ids = await roost.store.read<{ user_id: string }>(
      "SELECT DISTINCT user_id FROM read_parquet(?::VARCHAR[])",
      [live.map((f) => `${roost.dir}/${f.path}`)],
    );
    expect(ids.map((r) => r.user_id)).toEqual(["user-42"]);
  });

  test("a claim before any of the anonymous id's events still holds", async () => {
    const r = await claim({ anonymous_id: LATE_ANON, user_id: "user-77" });
    expect(r.body).toEqual({ claimed: true, events_reassigned_count: 0 });
    await send(t, LATE_ANON, 2);
    const page = await events(`user_id=user-77&project_id=${t.project.id}`);
    expect(page.body.events.map((e: { user_id: string }) => e.user_id)).toEqual(["user-77", "user-77"]);
  });

  test("an anonymous id claimed by another user is a conflict; nothing moves", async () => {
    const r = await claim({ anonymous_id: ANON, user_id: "someone-else" });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe("anonymous_id is already claimed by another user_id in this project");
    expect((await count(`user_id=someone-else&project_id=${t.project.id}`)).body.count).toBe(0);
  });

  test("another team's claims change nothing here, and its events stay invisible", async () => {
    const anon = "owl_anon_other";
    await send(other, anon, 2);
    const r = await claim({ anonymous_id: anon, user_id: "user-42" }, other.clientKey);
    expect(r.body).toEqual({ claimed: true, events_reassigned_count: 2 });
    expect((await events("user_id=user-42")).body.events).toHaveLength(7);
    expect((await events("user_id=user-42", other.adminKey)).body.events).toHaveLength(2);
  });

  test("bad input: Owlmetry's checks and messages", async () => {
    const cases: Array<[unknown, string]> = [
      [{ user_id: "u" }, "anonymous_id is required"],
      [{ anonymous_id: "", user_id: "u" }, "anonymous_id is required"],
      [{ anonymous_id: ANON }, "user_id is required"],
      [{ anonymous_id: 5, user_id: "u" }, "anonymous_id is required"],
      [{ anonymous_id: "anon-1", user_id: "u" }, 'anonymous_id must start with "owl_anon_"'],
      [{ anonymous_id: ANON, user_id: "owl_anon_x" }, "user_id must not start with anonymous prefix"],
      [{ anonymous_id: ANON, user_id: "u".repeat(256) }, "user_id must be at most 255 characters"],
    ];
    for (const [body, message] of cases) {
      const r = await claim(body);
      expect({ status: r.status, error: r.body.error }).toEqual({ status: 400, error: message });
    }
    const broken = await roost.call("POST", "/v1/identity/claim", { token: t.clientKey, body: "{" });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe("The request body is not valid JSON");
  });

  test("security: no credentials 401, an agent key 403, a user 400 as in Owlmetry", async () => {
    const body = { anonymous_id: ANON, user_id: "u" };
    expect((await roost.call("POST", "/v1/identity/claim", { body })).status).toBe(401);
    const agent = await claim(body, t.adminKey);
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe("Missing permission: events:write");
    const user = await claim(body, t.token);
    expect(user.status).toBe(400);
    expect(user.body.error).toBe("Client key must be scoped to an app");
  });

  test("a gzipped body, as the Swift and Android SDKs send one of 512 bytes or more", async () => {
    const body = Bun.gzipSync(JSON.stringify({ anonymous_id: `owl_anon_${"z".repeat(600)}`, user_id: "gz" }));
    const r = await roost.call("POST", "/v1/identity/claim", {
      token: t.clientKey,
      body,
      headers: { "content-encoding": "gzip" },
    });
    expect(r.status).toBe(200);
    expect(r.body.claimed).toBe(true);
  });
});

describe("claims across apps, projects and a restart", () => {
  test("a claim covers every app of the key's project, and no other project", async () => {
    const ios2 = (
      await roost.call("POST", "/v1/apps", {
        token: t.token,
        body: { project_id: t.project.id, name: "API", platform: "backend" },
      })
    ).body;
    const elsewhere = (
      await roost.call("POST", "/v1/projects", { token: t.token, body: { name: "Elsewhere" } })
    ).body;
    const thirdApp = (
      await roost.call("POST", "/v1/apps", {
        token: t.token,
        body: { project_id: elsewhere.id, name: "Other", platform: "backend" },
      })
    ).body;
    const anon = "owl_anon_two-apps";
    const sendWith = async (key: string, environment: string) => {
      const r = await roost.call("POST", "/v1/ingest", {
        token: key,
        body: {
          events: [
            {
              client_event_id: nextId("x"),
              session_id: "s",
              user_id: anon,
              level: "info",
              message: "m",
              environment,
            },
          ],
        },
      });
      expect(r.body.accepted).toBe(1);
    };
    await sendWith(ios2.client_key.secret, "backend");
    await send(t, anon, 1);
    await sendWith(thirdApp.client_key.secret, "backend");
    const r = await claim({ anonymous_id: anon, user_id: "two-apps-user" }, ios2.client_key.secret);
    expect(r.body.events_reassigned_count).toBe(2);
    const mine = await events(`user_id=two-apps-user&project_id=${t.project.id}`);
    expect(mine.body.events).toHaveLength(2);
    const theirs = await events(`user_id=${anon}&project_id=${elsewhere.id}`);
    expect(theirs.body.events.map((e: { user_id: string }) => e.user_id)).toEqual([anon]);
  });
});
