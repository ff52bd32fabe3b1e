/** `CF-IPCountry` as two capital letters, or null (Cloudflare sends XX and T1 for unknown and Tor). */
export function countryOf(header: string | null): string | null {
  const code = header?.trim().toUpperCase() ?? "";
  return /^[A-Z]{2}$/.test(code) && code !== "XX" && code !== "T1" ? code : null;
}
