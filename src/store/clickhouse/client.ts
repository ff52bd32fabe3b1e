import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { ApiError } from "../../lib/errors";
import { literal } from "./literal";

export interface ClickHouseConfig {
  /** Where queries and inserts go (any shard: each holds the Distributed tables). */
  url: string;
  /** Every shard, for the schema's local tables (18.16 has no ON CLUSTER without ZooKeeper). */
  shards: readonly string[];
  /** The `remote_servers` cluster the Distributed tables span. */
  cluster: string;
}

/** A shard did not answer: writes are refused (nothing acknowledged), reads say which one. */
export class ShardUnavailableError extends ApiError {
  constructor(detail: string) {
    super(503, `The event store is unavailable: ${detail}. Nothing was stored; try again.`);
  }
}

/** ClickHouse's codes for a shard or replica that cannot be reached (and our own refused connection). */
const UNREACHABLE = /Code: (209|210|279|394)\b|ECONNREFUSED|ConnectionRefused|socket hang up|ECONNRESET/;

/**
 * ClickHouse through the official client (decision 017). Values reach a query only as literals
 * from clickhouse/literal.ts (18.16 has no query parameters) or as JSONEachRow data in an insert.
 * An insert through a Distributed table is synchronous (`insert_distributed_sync`): it answers
 * once every shard holds its rows, so what is acknowledged is durable on its shard.
 */
export class ClickHouse {
  private readonly client: ClickHouseClient;
  private readonly shardClients: ClickHouseClient[];

  constructor(readonly config: ClickHouseConfig) {
    const options = (url: string) => ({
      url,
      log: { level: 127 as never },
      request_timeout: 30_000,
      clickhouse_settings: {
        output_format_json_quote_64bit_integers: 0 as never,
        // Lists of ids are literals in the query text (18.16 binds no parameters): an issue's
        // errors, a page's rows. 256 KiB (the default) holds about 5,000 UUIDs.
        max_query_size: String(16 * 1024 * 1024) as never,
      },
    });
    this.client = createClient(options(config.url));
    this.shardClients = config.shards.map((url) => createClient(options(url)));
  }

  async rows<T>(query: string): Promise<T[]> {
    try {
      const result = await this.client.query({ query, format: "JSONEachRow" });
      return (await result.json()) as T[];
    } catch (error) {
      throw unavailable(error, "reading");
    }
  }

  async command(query: string): Promise<void> {
    try {
      await this.client.command({ query });
    } catch (error) {
      throw unavailable(error, "writing");
    }
  }

  /** Rows into a table; through a Distributed one, answered once every shard has its rows. */
  async insert(table: string, values: readonly Record<string, unknown>[]): Promise<void> {
    if (values.length === 0) return;
    try {
      await this.client.insert({
        table,
        values: values as Record<string, unknown>[],
        format: "JSONEachRow",
        clickhouse_settings: { insert_distributed_sync: 1 },
      });
    } catch (error) {
      throw unavailable(error, "writing");
    }
  }

  get shardCount(): number {
    return this.shardClients.length;
  }

  async commandOnShard(shard: number, query: string): Promise<void> {
    const client = this.shardClients[shard];
    if (!client) throw new Error(`no shard ${shard}`);
    await client.command({ query });
  }

  /**
   * A mutation (ALTER … DELETE) of a local table on every shard, answered once every shard has
   * applied it: mutations are asynchronous on 18.16 (no `mutations_sync`), so this waits for
   * `system.mutations` to show none left.
   */
  async mutateEveryShard(table: string, query: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    try {
      for (const shard of this.shardClients) await shard.command({ query });
      for (const shard of this.shardClients) {
        for (;;) {
          const result = await shard.query({
            query: `SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = ${literal(table)} AND is_done = 0`,
            format: "JSONEachRow",
          });
          const [row] = (await result.json()) as Array<{ n: number }>;
          if (Number(row?.n ?? 0) === 0) break;
          if (Date.now() > deadline)
            throw new Error(`a mutation of ${table} did not finish within ${timeoutMs} ms`);
          await Bun.sleep(20);
        }
      }
    } catch (error) {
      throw unavailable(error, "writing");
    }
  }

  async rowsOnShard<T>(shard: number, query: string): Promise<T[]> {
    const client = this.shardClients[shard];
    if (!client) throw new Error(`no shard ${shard}`);
    return (await (await client.query({ query, format: "JSONEachRow" })).json()) as T[];
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), ...this.shardClients.map((c) => c.close())]);
  }
}

/** A shard out of reach becomes a 503 naming it; anything else stays what it was. */
function unavailable(error: unknown, doing: string): unknown {
  const text = String(error instanceof Error ? error.message : error);
  if (!UNREACHABLE.test(text)) return error;
  const where = /\(([\d.]+:\d+)\)/.exec(text)?.[1] ?? /([\d.]+:\d+)/.exec(text)?.[1];
  return new ShardUnavailableError(
    `a ClickHouse shard${where ? ` (${where})` : ""} did not answer while ${doing}`,
  );
}
