/**
 * Compares app versions as people write them: "1.10.0" after "1.9.2", "v2", "1.2.3 (456)",
 * "2024.10.15", Sentry's "my-app@1.2.3+45", and pre-releases before their release
 * ("1.0.0-beta.2" < "1.0.0"). Segments that are not numbers compare as text. Never throws.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parse(a);
  const y = parse(b);
  const main = compareSegments(x.main, y.main, "0");
  if (main !== 0) return main;
  // A pre-release comes before its release; two pre-releases compare segment by segment.
  if (x.pre === null || y.pre === null) return x.pre === y.pre ? 0 : x.pre === null ? 1 : -1;
  return compareSegments(x.pre, y.pre, "");
}

function parse(version: string): { main: string[]; pre: string[] | null } {
  let s = version.trim();
  const at = s.lastIndexOf("@"); // Sentry's release names: package@version
  if (at >= 0) s = s.slice(at + 1);
  s = s
    .replace(/^[vV](?=\d)/, "")
    .replace(/\s*\([^)]*\)\s*$/, "") // "1.2.3 (456)": the build number
    .replace(/\+.*$/, "") // semver build metadata
    .trim();
  const dash = s.indexOf("-");
  if (dash > 0 && /^[\d.]+$/.test(s.slice(0, dash))) {
    return { main: s.slice(0, dash).split("."), pre: s.slice(dash + 1).split(".") };
  }
  return { main: s.split("."), pre: null };
}

function compareSegments(a: readonly string[], b: readonly string[], missing: string): -1 | 0 | 1 {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const result = compareSegment(a[i] ?? missing, b[i] ?? missing);
    if (result !== 0) return result;
  }
  return 0;
}

const NUMBER = /^\d+$/;

function compareSegment(a: string, b: string): -1 | 0 | 1 {
  if (NUMBER.test(a) && NUMBER.test(b)) {
    const d = Number(a) - Number(b);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
  }
  // A missing pre-release segment ("") sorts first: 1.0.0-beta < 1.0.0-beta.1.
  if (NUMBER.test(a) !== NUMBER.test(b) && a !== "" && b !== "") return NUMBER.test(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
