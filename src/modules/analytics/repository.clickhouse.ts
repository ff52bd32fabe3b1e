import { literal, uuids } from "../../store/clickhouse/literal";
import type { IdentityClaims } from "../identity/claims";
import { claimedUser } from "../identity/repository.cluster";
import { deriveOne, type SourceEvent } from "./derive";
import type { AnalyticsFilters } from "./repository";

/**
 * What metric and funnel queries on a cluster's ClickHouse share (decision 017): the filters of
 * analytics/repository.ts as conditions over the Distributed `events` table, whose rows carry
 * their metric and step fields (ClickHouse migration 3) instead of derived tables. The queries are
 * in metrics/ and funnels/ repository.clickhouse.ts, side by side with the embedded ones.
 */

/**
 * An Owlmetry metric or step event's derived fields (decision 012) as the columns of its own row
 * (ClickHouse migration 3): the values the embedded store writes to metric_events and funnel_events.
 */
export function derivedColumns(event: SourceEvent): Record<string, string | number | null> {
  const derived = deriveOne(event);
  // Most events are neither: they send no such keys, and the columns default to NULL.
  if (!derived) return {};
  if ("step" in derived) return { step_name: derived.step.stepName };
  const { metric } = derived;
  return {
    metric_slug: metric.slug,
    metric_phase: metric.phase,
    tracking_id: metric.trackingId,
    duration_ms: metric.durationMs,
    metric_error: metric.error,
  };
}

/** A string field of a flat JSON object column, or NULL where the object has no such key. */
export const jsonField = (column: string, key: string) =>
  `if(visitParamHas(${column}, ${literal(key)}), visitParamExtractString(${column}, ${literal(key)}), NULL)`;

/** The user a row counts for: with claims in the filters' projects, whoever claimed its id. */
export const who = (f: AnalyticsFilters, claims: IdentityClaims) =>
  f.claims === false ? "user_id" : claimedUser(claims.pairsIn(f.projectIds));

/** anyClaims of analytics/repository.ts: every node holds every claim. */
export const anyClaimsIn = (claims: IdentityClaims) => async (projectIds: readonly string[]) =>
  claims.pairsIn(projectIds).length > 0;

/** analyticsWhere (analytics/repository.ts) as ClickHouse conditions, every value a literal. */
export function analyticsWhere(f: AnalyticsFilters, claims: IdentityClaims): string {
  const parts = [
    f.projectIds.length === 1
      ? `project_id = toUUID(${literal(f.projectIds[0] as string)})`
      : `project_id IN (${uuids(f.projectIds)})`,
  ];
  if (f.appId) parts.push(`app_id = toUUID(${literal(f.appId)})`);
  if (f.since) parts.push(`ts >= ${literal(f.since.getTime())}`);
  if (f.until) parts.push(`ts < ${literal(f.until.getTime())}`);
  if (f.isDev !== null) parts.push(`is_dev = ${literal(f.isDev)}`);
  const equal: Array<[string, string | undefined]> = [
    ["app_version", f.appVersion],
    ["device_model", f.deviceModel],
    ["os_version", f.osVersion],
    ["environment", f.environment],
    ["country_code", f.countryCode],
  ];
  for (const [column, value] of equal) if (value !== undefined) parts.push(`${column} = ${literal(value)}`);
  if (f.userId !== undefined) {
    // The user's own rows, and in each project those of the anonymous ids they claimed there.
    const claimed = new Map<string, string[]>();
    for (const c of claims.pairsIn(f.projectIds))
      if (c.userId === f.userId)
        claimed.set(c.projectId, [...(claimed.get(c.projectId) ?? []), c.anonymousId]);
    const anonymous = [...claimed].map(
      ([projectId, ids]) =>
        ` OR (project_id = toUUID(${literal(projectId)}) AND user_id IN (${ids.map((id) => literal(id)).join(", ")}))`,
    );
    parts.push(`(user_id = ${literal(f.userId)}${anonymous.join("")})`);
  }
  if (f.experiment)
    parts.push(`${jsonField("experiments", f.experiment.name)} = ${literal(f.experiment.variant)}`);
  return parts.join(" AND ");
}

/** DuckDB's quantile_cont at `q` over a sorted array expression: interpolated between neighbours. */
export function interpolated(sorted: string, q: number | string): string {
  const n = `length(${sorted})`;
  const position = `(${q} * (${n} - 1))`;
  const low = `toUInt64(floor(${position})) + 1`;
  return `if(${n} = 0, NULL, ${sorted}[${low}] + (${position} - floor(${position})) * (${sorted}[${low} + 1] - ${sorted}[${low}]))`;
}

export const num = (v: number | string | null | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);
