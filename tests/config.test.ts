import { describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config";

describe("the storage backend's configuration", () => {
  const cluster = {
    ROOST_STORE: "clickhouse",
    ROOST_CLICKHOUSE_URL: "http://127.0.0.1:8123",
    ROOST_DATABASE_URL: "postgres://roost@127.0.0.1:5432/roost",
    ROOST_ATTACHMENTS_DIR: "/srv/roost/attachments",
  };

  test("DuckDB by default; a cluster with its URLs and shared attachments directory", () => {
    expect(loadConfig({}, {})).toMatchObject({
      store: "duckdb",
      clickhouse: null,
      sharedAttachmentsDir: null,
    });
    expect(loadConfig({}, cluster)).toMatchObject({
      store: "clickhouse",
      clickhouse: { url: "http://127.0.0.1:8123", shards: ["http://127.0.0.1:8123"], cluster: "roost" },
      databaseUrl: "postgres://roost@127.0.0.1:5432/roost",
      sharedAttachmentsDir: "/srv/roost/attachments",
    });
  });

  test.each([
    [{ ROOST_STORE: "mysql" }, "ROOST_STORE must be duckdb or clickhouse, got 'mysql'"],
    [{ ...cluster, ROOST_CLICKHOUSE_URL: "" }, "ROOST_STORE=clickhouse needs ROOST_CLICKHOUSE_URL"],
    [{ ...cluster, ROOST_DATABASE_URL: "mysql://x" }, "ROOST_STORE=clickhouse needs ROOST_DATABASE_URL"],
    [{ ...cluster, ROOST_ATTACHMENTS_DIR: "" }, "ROOST_STORE=clickhouse needs ROOST_ATTACHMENTS_DIR"],
    [
      { ROOST_ATTACHMENTS_DIR: "/srv/shared" },
      "ROOST_ATTACHMENTS_DIR is for a cluster (ROOST_STORE=clickhouse); a single Roost keeps attachments in its data directory",
    ],
  ])("%o is refused: %s", (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(message);
  });
});
