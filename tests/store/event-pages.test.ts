import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { type PageWindow, planLookup, planPage } from "../../src/store/event-pages";
import { Lake } from "../../src/store/lake";
import { type Roost, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;
const HOUR = 3_600_000;
/** The start of the hour h hours ago. */
const hourAgo = (h: number) => Math.floor((Date.now() - h * HOUR) / HOUR) * HOUR;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Pages");
  // 3 events in each of the hours 2, 3 and 5 hours ago, sealed: three partitions of one project.
  const events = [2, 3, 5].flatMap((h) =>
    [1, 2, 3].map((i) => ({
      client_event_id: crypto.randomUUID(),
      session_id: "s",
      level: "info",
      message: "m",
      environment: "ios",
      timestamp: new Date(hourAgo(h) + i * 60_000).toISOString(),
    })),
  );
  const r = await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: { bundle_id: t.app.bundle_id, events },
  });
  expect(r.body.accepted).toBe(9);
  await new Lake(roost.store, roost.dir, createLogger("silent")).seal(new Date(Date.now() + 1000));
});
afterAll(() => roost.close());

const plan = (request: Partial<Parameters<typeof planPage>[2]>) =>
  roost.store.snapshot(async (tx) => [
    ...(await planPage(tx, roost.dir, {
      projectIds: [t.project.id],
      order: "desc",
      rowsWanted: 2,
      ...request,
    })),
  ]);
const hours = (windows: PageWindow[]) => windows.map((w) => [w.from?.getTime(), w.to?.getTime(), w.rows]);

describe("planPage", () => {
  test("newest first: 1, then 2 partitions a window, then the hot rows beyond the oldest", async () => {
    expect(hours(await plan({}))).toEqual([
      [hourAgo(2), undefined, 3],
      [hourAgo(5), hourAgo(2), 6],
      [undefined, hourAgo(5), 0],
    ]);
  });

  test("oldest first, bounded: the windows cover [from, to) and the hot rows close it", async () => {
    const from = new Date(hourAgo(6));
    const to = new Date(hourAgo(2));
    expect(hours(await plan({ order: "asc", from, to }))).toEqual([
      [from.getTime(), hourAgo(5) + HOUR, 3],
      [hourAgo(5) + HOUR, to.getTime(), 3],
      [to.getTime(), to.getTime(), 0],
    ]);
  });

  test("thin partitions are read together with the next one until they hold the rows wanted", async () => {
    expect(hours(await plan({ rowsWanted: 7 }))).toEqual([
      [hourAgo(5), undefined, 9],
      [undefined, hourAgo(5), 0],
    ]);
  });

  test("with a session or user key, each file counts as one sure match: a window takes as many files as rows wanted", async () => {
    expect(hours(await plan({ rowsWanted: 2, key: { kind: "s", values: ["s"] } }))).toEqual([
      [hourAgo(3), undefined, 6],
      [hourAgo(5), hourAgo(3), 3],
      [undefined, hourAgo(5), 0],
    ]);
    // No file holds this user: only the hot rows are left to read.
    expect(hours(await plan({ key: { kind: "u", values: ["nobody"] } }))).toEqual([
      [undefined, undefined, 0],
    ]);
  });

  test("another project's files are never in the plan", async () => {
    const windows = await plan({ projectIds: ["01a20000-0000-7000-8000-000000000000"] });
    expect(windows.flatMap((w) => w.paths)).toEqual([]);
  });
});

describe("planLookup", () => {
  test("the files of the project the id names first, then the rest; none out of scope", async () => {
    const files = await roost.store.snapshot(async (tx) =>
      planLookup(tx, roost.dir, "00000000-0000-7000-8000-000000000000", {
        projectIds: [t.project.id],
        from: new Date(hourAgo(3)),
        to: new Date(hourAgo(3) + HOUR),
      }),
    );
    expect(files.flat()).toHaveLength(1);
    expect(files.flat()[0]).toContain(`project_id=${t.project.id}`);
  });
});
