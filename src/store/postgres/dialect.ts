/**
 * The control plane's queries are written once, in the SQL DuckDB and PostgreSQL share (decision
 * 017); what differs is mapped here, outside string literals:
 * - `?` placeholders become `$1`, `$2`, …;
 * - a list bound as JSON text (`?::JSON::UUID[]`, how DuckDB takes arrays) becomes an array of
 *   its elements, and `?::JSON` a json value of the text (Bun would send a string typed json
 *   as a JSON string);
 * - `INSERT OR IGNORE INTO` becomes `INSERT INTO … ON CONFLICT DO NOTHING`;
 * - a cast to `DOUBLE` becomes one to `DOUBLE PRECISION`.
 * DuckDB's `list_contains` and `epoch_ms` exist in PostgreSQL as functions of the control plane's
 * first migration. Anything else engine-specific is written twice, side by side, in its repository.
 */
export function toPostgres(sql: string): string {
  let out = "";
  let n = 0;
  let ignore = false;
  for (const [i, part] of sql.split(/('(?:[^']|'')*')/).entries()) {
    if (i % 2 === 1) {
      out += part; // a string literal, as written
      continue;
    }
    let code = part.replace(/\bINSERT\s+OR\s+IGNORE\s+INTO\b/gi, () => {
      ignore = true;
      return "INSERT INTO";
    });
    // DuckDB's DOUBLE is PostgreSQL's DOUBLE PRECISION.
    code = code.replace(/::DOUBLE\b(?!\s+PRECISION)/gi, "::DOUBLE PRECISION");
    code = code.replace(
      /\?(::JSON::(\w+)\[\]|::JSON\b)?/gi,
      (_, cast: string | undefined, element: string | undefined) => {
        const placeholder = `$${++n}`;
        if (!cast) return placeholder;
        if (element)
          return `ARRAY(SELECT json_array_elements_text(${placeholder}::text::json))::${element}[]`;
        return `${placeholder}::text::json`;
      },
    );
    out += code;
  }
  if (ignore) out = `${out.replace(/;\s*$/, "")} ON CONFLICT DO NOTHING`;
  return out;
}
