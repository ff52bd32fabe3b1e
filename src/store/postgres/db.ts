import { SQL } from "bun";
import {
  bindable,
  type ColumnKind,
  type ColumnValue,
  type Param,
  plainRow,
  type Row,
  type SharedWriter,
  type Tx,
  type WriteTx,
} from "../db";
import { toPostgres } from "./dialect";

/** Every write transaction of the control plane takes this lock first (decision 017). */
const WRITE_LOCK = 7_017_017;

/**
 * The control plane in PostgreSQL (ROOST_DATABASE_URL): the same interface as the DuckDB store,
 * so teams, users, projects, apps and keys run on either through their one repository. Writes
 * are serialised across every node by a transaction-scoped advisory lock, as the embedded
 * store's single writer serialises them: the services check slugs and memberships inside the
 * write and rely on no other write coming between.
 */
export class PgStore implements Tx {
  private constructor(
    private readonly sql: SQL,
    /** The node's own directory (secrets, attachments while they are local). */
    readonly dataDir: string,
  ) {}

  static async open(url: string, dataDir: string, max = 10): Promise<PgStore> {
    const sql = new SQL(url, { bigint: true, max, idleTimeout: 30 });
    await sql`SELECT 1`;
    return new PgStore(sql, dataDir);
  }

  read<T = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return query<T>(this.sql, sql, params);
  }

  all<T = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.read<T>(sql, params);
  }

  run(sql: string, params: readonly Param[] = []): Promise<void> {
    return this.write((tx) => tx.run(sql, params));
  }

  write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`;
      const handle = txOn(tx);
      return work({
        ...handle,
        append: (table, kinds, columns) => appendRows(handle, table, kinds, columns),
      });
    }) as Promise<T>;
  }

  /**
   * One transaction without the write lock: for statements that are atomic by themselves across
   * nodes (claims and counters by `ON CONFLICT`), which every ingest request runs.
   */
  atomic<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sql.begin((tx) => work(txOn(tx))) as Promise<T>;
  }

  /** Several reads that see one snapshot. */
  snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", (tx) => work(txOn(tx))) as Promise<T>;
  }

  /**
   * Runs `work` while holding a session lock no other node can take meanwhile (migrations at
   * start: two nodes starting at once migrate one after the other).
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const connection = await this.sql.reserve();
    try {
      await connection`SELECT pg_advisory_lock(${WRITE_LOCK + 1})`;
      try {
        return await work();
      } finally {
        await connection`SELECT pg_advisory_unlock(${WRITE_LOCK + 1})`;
      }
    } finally {
      connection.release();
    }
  }

  /**
   * The features' writes (feedback, questionnaires, identity) as the embedded writer runs them:
   * the check, then the write, in one transaction under the write lock.
   */
  readonly shared: SharedWriter = {
    run: (write) => this.write(async (tx) => (await write(tx))(tx)),
  };

  /** PostgreSQL checkpoints by itself. */
  async checkpoint(): Promise<boolean> {
    return true;
  }

  private closed = false;

  get isOpen(): boolean {
    return !this.closed;
  }

  /** A connection of its own, for a session-level lock held as long as it lives. */
  reserve() {
    return this.sql.reserve();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sql.close();
  }
}

/** Each query text's PostgreSQL form, translated once: the same few texts run on every request. */
const translated = new Map<string, string>();
const TRANSLATED_TEXTS = 1024;

async function query<T>(sql: SQL, text: string, params: readonly Param[]): Promise<T[]> {
  let pg = translated.get(text);
  if (pg === undefined) {
    pg = toPostgres(text);
    // Texts built with a varying number of placeholders must not grow this without end.
    if (translated.size >= TRANSLATED_TEXTS) translated.clear();
    translated.set(text, pg);
  }
  const rows = (await sql.unsafe(pg, bindable(params))) as Row[];
  return rows.map(plainRow) as T[];
}

/** Each table's column types, in order (for the appender's casts), read once. */
const columnTypes = new Map<string, string[]>();

/**
 * The appender's rows as one INSERT: a column per array, in the table's column order (as DuckDB's
 * appender takes them), each cast to its column's type (DuckDB casts text to UUID by itself;
 * PostgreSQL does not); times from epoch microseconds. For the features' tables (the issue
 * index): events go to ClickHouse.
 */
async function appendRows(
  tx: Tx,
  table: string,
  kinds: readonly ColumnKind[],
  columns: readonly (readonly ColumnValue[])[],
): Promise<void> {
  if ((columns[0]?.length ?? 0) === 0) return;
  let types = columnTypes.get(table);
  if (!types) {
    types = (
      await tx.all<{ type: string }>(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      )
    ).map((r) => r.type);
    columnTypes.set(table, types);
  }
  // Lists are bound as JSON text, as every query binds them (store/postgres/dialect.ts).
  const values = kinds.map((kind, i) =>
    kind === "micros"
      ? "to_timestamp(unnest(?::JSON::BIGINT[]) / 1000000.0)"
      : `unnest(?::JSON::TEXT[])::${types[i] ?? "TEXT"}`,
  );
  await tx.run(
    `INSERT INTO ${table} SELECT ${values.join(", ")}`,
    columns.map((column) => column.map((v) => (typeof v === "bigint" ? v.toString() : v))),
  );
}

/** A transaction's handle over a connection (or a transaction of one). */
const txOn = (sql: SQL): Tx => ({
  run: async (text, params = []) => {
    await query(sql, text, params);
  },
  all: (text, params = []) => query(sql, text, params),
});
