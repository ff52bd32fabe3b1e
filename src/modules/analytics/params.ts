import { badRequest } from "../../lib/errors";
import { uuidParam } from "../../lib/ids";
import { dataMode, environmentParam, time } from "../events/params";
import type { AnalyticsFilters } from "./repository";

type Query = Record<string, string | undefined>;

/**
 * The filters metric and funnel queries share, checked (decision 012): a time range (`since` by
 * default `defaultSinceMs` ago; null: no default), an app, data_mode, version, device, OS, environment, country,
 * user and an experiment's variant.
 */
export function parseAnalyticsFilters(
  q: Query,
  projectIds: readonly string[],
  defaultSinceMs: number | null,
  now = Date.now(),
): AnalyticsFilters {
  const since = time("since", q.since, now);
  const f: AnalyticsFilters = {
    projectIds,
    isDev: dataMode(q.data_mode),
    since: since ?? (defaultSinceMs === null ? undefined : new Date(now - defaultSinceMs)),
    until: time("until", q.until, now),
  };
  if (f.until && f.since && f.since > f.until) throw badRequest("since must not be after until");
  if (q.app_id) f.appId = uuidParam("app_id", q.app_id);
  if (q.environment) f.environment = environmentParam(q.environment);
  if (q.app_version) f.appVersion = q.app_version;
  if (q.device_model) f.deviceModel = q.device_model;
  if (q.os_version) f.osVersion = q.os_version;
  if (q.country_code) f.countryCode = q.country_code.toUpperCase();
  if (q.user_id) f.userId = q.user_id;
  if (q.experiment) f.experiment = parseExperiment(q.experiment);
  return f;
}

/** `name:variant`, Owlmetry's experiment filter. */
function parseExperiment(value: string): { name: string; variant: string } {
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1) throw badRequest("experiment must be name:variant");
  return { name: experimentName(value.slice(0, colon), "experiment"), variant: value.slice(colon + 1) };
}

/**
 * A `group_by`: one of `fixed`, or `experiment:<name>` (a variant of the events' experiments);
 * else Owlmetry's 400, with what is allowed.
 */
export function groupParam<G extends string>(value: string, fixed: Readonly<Record<string, unknown>>): G {
  if (value.startsWith("experiment:")) {
    experimentName(value.slice("experiment:".length), "group_by");
    return value as G;
  }
  if (value in fixed) return value as G;
  throw badRequest(
    `Invalid group_by value: ${value}. Allowed: ${[...Object.keys(fixed), "experiment:<name>"].join(", ")}`,
  );
}

/** An experiment's name as a filter or group names it. */
export function experimentName(name: string, param: string): string {
  if (name === "" || /["\\]/.test(name))
    throw badRequest(`${param} must name an experiment (no quotes or backslashes)`);
  return name;
}

export const DAY_MS = 86_400_000;

/** Owlmetry's rounding: a percentage or a duration to `places` decimals. */
export const round = (value: number, places: number): number => {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
};
