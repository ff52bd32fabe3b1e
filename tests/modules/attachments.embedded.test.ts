import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";
import { attachmentRequests } from "./attachments.support";

/** Attachments and the embedded store's lake (a cluster has no seal: decision 017). */
let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Sealed");
});
afterAll(() => roost.close());

const { attach, ingest, eventIdOf } = attachmentRequests(() => ({ roost, t }));

test("an attachment for an event already sealed into the lake finds its event there", async () => {
  await ingest("sealed-1");
  await new Lake(roost.store, roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
  expect(await roost.store.read("SELECT count(*) AS n FROM events")).toEqual([{ n: 0 }]);
  const id = await attach("sealed-1", "late crash log");
  const row = await roost.call("GET", `/v1/attachments/${id}`, { token: t.adminKey });
  expect(row.body.event_id).toBe(await eventIdOf("sealed-1"));
});
