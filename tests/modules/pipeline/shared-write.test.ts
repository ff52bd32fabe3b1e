import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/lib/errors";
import { type Roost, startRoost, type Tenant } from "../../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Shared");
});
afterAll(() => roost.close());

const count = async (table: string) =>
  (await roost.store.read<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table}`))[0]?.n;

describe("shared writes in the group commit", () => {
  test("queued beside ingest, a refused check fails its request alone and writes nothing", async () => {
    const writer = roost.services.writer;
    const commitsBefore = await count("identity_claims");
    let checks = 0;
    // Queued together: an ingest request, a write, a refused write, another write.
    const ingest = roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [
          { client_event_id: "sw-1", session_id: "s", level: "info", message: "m", environment: "ios" },
        ],
      },
    });
    const write = (anonymous: string) =>
      writer.run(async () => {
        checks++;
        return async (tx) => {
          await tx.run("INSERT INTO identity_claims VALUES (?::UUID, ?, 'u', ?::UUID, now())", [
            t.project.id,
            anonymous,
            t.app.id,
          ]);
          return anonymous;
        };
      });
    const refused = writer.run(async (tx) => {
      checks++;
      await tx.all("SELECT 1");
      throw new ApiError(409, "refused");
    });
    const results = await Promise.allSettled([ingest, write("owl_anon_a"), refused, write("owl_anon_b")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe("refused");
    expect(checks).toBe(3);
    expect(await count("identity_claims")).toBe((commitsBefore ?? 0) + 2);
    const stored = await roost.call("GET", "/v1/events/count?data_mode=all", { token: t.adminKey });
    expect(stored.body.count).toBe(1);
  });

  test("a check sees the writes queued before it in the same commit", async () => {
    const writer = roost.services.writer;
    const seen: number[] = [];
    const step = () =>
      writer.run(async (tx) => {
        const [row] = await tx.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM feedback_comments");
        seen.push(row?.n ?? 0);
        return async (tx) => {
          await tx.run(
            "INSERT INTO feedback_comments VALUES (gen_random_uuid(), gen_random_uuid(), 'user', gen_random_uuid(), 'x', 'b', now(), now(), NULL)",
          );
        };
      });
    await Promise.all([step(), step(), step()]);
    expect(seen).toEqual([0, 1, 2]);
  });
});
