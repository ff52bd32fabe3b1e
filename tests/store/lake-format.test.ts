import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/lib/log";
import { Lake } from "../../src/store/lake";
import { isCurrentFormat } from "../../src/store/lake/format";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * Lake files written before schema 9 have no `kind` and `payload` columns. They must read, page,
 * resolve by id and compact together with new files, without being rewritten first.
 */
let roost: Roost;
let t: Tenant;
let lake: Lake;
let sentryKey: string;
let sentryId: number;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Format");
  lake = new Lake(roost.store, roost.dir, createLogger("silent"));
  const app = await roost.call("POST", "/v1/apps", {
    token: t.token,
    body: { project_id: t.project.id, name: "api", platform: "backend" },
  });
  sentryKey = app.body.client_key.secret;
  sentryId = t.project.sentry_id;
});
afterAll(() => roost.close());

const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/** Rewrites every live file as a file of the old format: without the two columns, an untagged name. */
async function makeLegacy(): Promise<string[]> {
  const files = await roost.store.read<{ path: string }>("SELECT path FROM lake_files");
  for (const { path } of files) {
    const from = join(roost.dir, path);
    const legacyPath = path.replace(/_s9\.parquet$/, ".parquet");
    const tmp = join(roost.dir, `${legacyPath}.tmp`);
    await roost.store.write(async (tx) => {
      await tx.run(
        `COPY (SELECT * EXCLUDE (kind, payload) FROM read_parquet('${from}')) TO '${tmp}' (FORMAT parquet)`,
      );
      for (const table of ["lake_files", "lake_file_counts", "lake_file_keys"]) {
        await tx.run(`UPDATE ${table} SET path = ? WHERE path = ?`, [legacyPath, path]);
      }
      await tx.run("UPDATE lake_manifest_version SET version = version + 1");
    });
    renameSync(tmp, join(roost.dir, legacyPath));
  }
  return files.map((f) => f.path.replace(/_s9\.parquet$/, ".parquet"));
}

describe("lake files of the format before schema 9", () => {
  test("read, page, resolve by id and compact with new files; the merged file is of the new format", async () => {
    // An Owlmetry event, sealed and turned into an old-format file.
    const old = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [
          {
            client_event_id: "old-1",
            session_id: "s",
            level: "info",
            message: "from before",
            environment: "ios",
            timestamp: anHourAgo(),
          },
        ],
      },
    });
    expect(old.body.accepted).toBe(1);
    await lake.seal(new Date(Date.now() + 1000));
    const legacy = await makeLegacy();
    expect(legacy.every((p) => !isCurrentFormat(p))).toBe(true);

    // A Sentry event in the same hour, sealed into a new-format file beside it.
    const event = {
      event_id: crypto.randomUUID().replaceAll("-", ""),
      timestamp: anHourAgo(),
      platform: "node",
      environment: "production",
      exception: { values: [{ type: "Error", value: "after", stacktrace: { frames: [{ function: "f" }] } }] },
    };
    const sent = await roost.call("POST", `/api/${sentryId}/envelope/?sentry_key=${sentryKey}`, {
      body: `{}\n{"type":"event"}\n${JSON.stringify(event)}`,
    });
    expect(sent.status).toBe(200);
    await lake.seal(new Date(Date.now() + 1000));
    const paths = (await roost.store.read<{ path: string }>("SELECT path FROM lake_files ORDER BY path")).map(
      (r) => r.path,
    );
    expect(paths.filter(isCurrentFormat)).toHaveLength(1);
    expect(paths.filter((p) => !isCurrentFormat(p))).toHaveLength(legacy.length);

    const page = await roost.call("GET", "/v1/events?data_mode=all&limit=10", { token: t.token });
    expect(page.status).toBe(200);
    expect(page.body.events.map((e: { message: string }) => e.message).sort()).toEqual([
      "Error: after",
      "from before",
    ]);
    const byMessage = (m: string) => page.body.events.find((e: { message: string }) => e.message === m);
    const oldDetail = await roost.call("GET", `/v1/events/${byMessage("from before").id}`, {
      token: t.token,
    });
    expect(oldDetail.status).toBe(200);
    expect(oldDetail.body.kind).toBeUndefined();
    const newDetail = await roost.call("GET", `/v1/events/${byMessage("Error: after").id}`, {
      token: t.token,
    });
    expect(newDetail.body.kind).toBe("event");
    expect(newDetail.body.payload.exception.values[0].stacktrace.frames).toEqual([{ function: "f" }]);

    const compacted = await lake.compact(new Date(Date.now() + 2 * 3_600_000));
    expect(compacted.filesIn).toBe(paths.length);
    const [merged] = await roost.store.read<{ path: string }>("SELECT path FROM lake_files");
    expect(isCurrentFormat(merged?.path as string)).toBe(true);
    const rows = await roost.store.read<{ message: string; kind: string | null }>(
      `SELECT message, kind FROM read_parquet('${join(roost.dir, merged?.path as string)}') ORDER BY message`,
    );
    expect(rows).toEqual([
      { message: "Error: after", kind: "event" },
      { message: "from before", kind: null },
    ]);
    const again = await roost.call("GET", `/v1/events/${byMessage("Error: after").id}`, { token: t.token });
    expect(again.body.payload.exception.values[0].value).toBe("after");
  });
});
