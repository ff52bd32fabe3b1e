import { afterAll, describe, expect, test } from "bun:test";
import { ClickHouse } from "../../src/store/clickhouse/client";
import { literal } from "../../src/store/clickhouse/literal";
import { random } from "../support/random";

/**
 * The one way values reach ClickHouse query text (decision 017), against the cluster's own
 * ClickHouse 18.16: every string, however hostile, comes back from the server exactly as sent.
 */
const ch = new ClickHouse({ url: process.env.ROOST_CLICKHOUSE_URL as string, shards: [], cluster: "roost" });
afterAll(() => ch.close());

const echo = async (value: string) => (await ch.rows<{ v: string }>(`SELECT ${literal(value)} AS v`))[0]?.v;

describe("ClickHouse literals", () => {
  test.each([
    "plain",
    "it's",
    "back\\slash",
    "\\'",
    "'; DROP TABLE events; --",
    "line\nbreak\ttab\rreturn",
    "nul\u0000byte",
    "bell\u0007 escape\u001b del\u007f",
    "ünïcødé 🦉 中文",
    "",
  ])("%p round-trips", async (value) => {
    expect(await echo(value)).toBe(value);
  });

  test("2,000 random strings of every code point class round-trip", async () => {
    const next = random(2026);
    const pieces = [
      "'",
      "\\",
      "\n",
      "\u0000",
      "\u001f",
      "a",
      "é",
      "🦉",
      "\u2028",
      "}",
      "{x:String}",
      "?",
      "$1",
    ];
    const values = Array.from({ length: 2000 }, () =>
      Array.from({ length: Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join(
        "",
      ),
    );
    // One query for all of them: an array literal of every value.
    const [row] = await ch.rows<{ v: string[] }>(`SELECT ${literal(values)} AS v`);
    expect(row?.v).toEqual(values);
  });

  test("numbers must be finite; booleans, null and arrays are typed", async () => {
    expect(() => literal(Number.NaN)).toThrow("not a finite number: NaN");
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow("not a finite number: Infinity");
    const [row] = await ch.rows<Record<string, unknown>>(
      `SELECT ${literal(1)} + ${literal(2.5)} AS n, ${literal(true)} AS b, ${literal(null)} AS z, ${literal(["a", "b'"])} AS a`,
    );
    expect(row).toEqual({ n: 3.5, b: 1, z: null, a: ["a", "b'"] });
  });
});
