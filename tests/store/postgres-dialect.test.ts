import { expect, test } from "bun:test";
import { toPostgres } from "../../src/store/postgres/dialect";

test("placeholders are numbered; lists bound as JSON become arrays of their type", () => {
  expect(
    toPostgres("SELECT * FROM t WHERE a = ? AND list_contains(?::JSON::UUID[], b) AND c = ?::JSON"),
  ).toBe(
    "SELECT * FROM t WHERE a = $1 AND list_contains(ARRAY(SELECT json_array_elements_text($2::text::json))::UUID[], b) AND c = $3::text::json",
  );
});

test("string literals are left as written, question marks and casts in them too", () => {
  expect(toPostgres("SELECT '?::DOUBLE', 'it''s ?' FROM t WHERE a = ?")).toBe(
    "SELECT '?::DOUBLE', 'it''s ?' FROM t WHERE a = $1",
  );
});

test("INSERT OR IGNORE becomes ON CONFLICT DO NOTHING; DOUBLE becomes DOUBLE PRECISION", () => {
  expect(toPostgres("INSERT OR IGNORE INTO t VALUES (?, ?);")).toBe(
    "INSERT INTO t VALUES ($1, $2) ON CONFLICT DO NOTHING",
  );
  expect(toPostgres("SELECT n::DOUBLE AS a, m::DOUBLE PRECISION AS b, k::double AS c")).toBe(
    "SELECT n::DOUBLE PRECISION AS a, m::DOUBLE PRECISION AS b, k::DOUBLE PRECISION AS c",
  );
});
