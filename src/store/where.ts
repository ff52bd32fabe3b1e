import type { Param } from "./db";

/** A WHERE clause of conditions joined by AND, every value bound in order. */
export class Where {
  private readonly parts: string[] = [];
  readonly params: Param[] = [];

  constructor(sql?: string, ...values: Param[]) {
    if (sql) this.add(sql, ...values);
  }

  add(sql: string, ...values: Param[]): this {
    this.parts.push(sql);
    this.params.push(...values);
    return this;
  }

  /** Adds `sql` with `value` bound, when a value is given (a filter the caller left out is not). */
  when(value: Param | undefined, sql: string): this {
    return value === undefined || value === null ? this : this.add(sql, value);
  }

  /** After `cursor` in a list ordered by (time, id) descending; `alias` is the table's. */
  before(cursor: { us: string; id: string } | undefined, alias: string, time = "created_at"): this {
    if (!cursor) return this;
    return this.add(`(epoch_us(${alias}.${time}), ${alias}.id) < (?::BIGINT, ?::UUID)`, cursor.us, cursor.id);
  }

  get sql(): string {
    return this.parts.length > 0 ? this.parts.join(" AND ") : "TRUE";
  }
}
