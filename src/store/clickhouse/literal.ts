/**
 * Values into ClickHouse SQL as literals (decision 017). ClickHouse 18.16 has no bound query
 * parameters ("Unknown setting param_x"), so this one small encoder is the only way a value gets
 * into query text; inserts send values as JSONEachRow data instead. Strings are quoted with every
 * backslash and quote escaped (and control characters written as escapes), numbers must be finite,
 * and arrays are written element by element.
 */
export type Literal = string | number | boolean | null | readonly Literal[];

export function literal(value: Literal): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === "string") return `'${escaped(value)}'`;
  if (Array.isArray(value)) return `[${value.map((v) => literal(v)).join(", ")}]`;
  throw new TypeError(`no ClickHouse literal for ${typeof value}`);
}

/** Ids as a list of UUID literals, for `IN (…)`. */
export const uuids = (ids: readonly string[]): string => ids.map((id) => `toUUID(${literal(id)})`).join(", ");

const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\0": "\\0",
  "\b": "\\b",
  "\f": "\\f",
};

function escaped(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return text.replace(/[\\'\n\r\t\0\b\f\x01-\x07\x0b\x0e-\x1f\x7f]/g, (c) => {
    const known = ESCAPES[c];
    if (known) return known;
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}
