import { expect, test } from "bun:test";
import { join } from "node:path";
import { Store } from "../../src/store/db";
import { startRoost } from "../helpers";

const MAIN = join(import.meta.dir, "../../src/main.ts");

test("roost issues rebuild: the same issues from the stored errors, and a line with its numbers", async () => {
  const roost = await startRoost();
  const t = await roost.tenant("Cli");
  const events = [1, 2, 3].map((i) => ({
    client_event_id: `e${i}`,
    session_id: `s${i}`,
    user_id: `u${i % 2}`,
    level: "error",
    message: `Order ${i} failed`,
    environment: "ios",
  }));
  await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: { bundle_id: t.app.bundle_id, events },
  });
  await roost.services.grouper.settle();
  const read = (store: Store) =>
    store.read<{ id: string; event_count: number; user_count: number; session_count: number }>(
      "SELECT id::VARCHAR AS id, event_count::INTEGER AS event_count, user_count::INTEGER AS user_count, session_count::INTEGER AS session_count FROM issues",
    );
  const before = await read(roost.store);
  expect(before).toHaveLength(1);
  await roost.services.grouper.stop();
  await roost.store.close();

  const run = Bun.spawnSync(
    [process.execPath, MAIN, "issues", "rebuild", "--data", roost.dir, "--log-level", "silent"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
  expect(run.stdout.toString()).toMatch(/^rebuilt 1 issues from 3 errors in 1 projects; \d+ ms\n$/);

  roost.store = await Store.open(roost.dir, roost.config.duckdb);
  expect(await read(roost.store)).toEqual(before);
  expect(before[0]).toMatchObject({ event_count: 3, user_count: 2, session_count: 3 });
  await roost.close();
});
