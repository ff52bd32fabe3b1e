import { LEVELS, type Level, PLATFORM_ENVIRONMENTS, type Platform } from "../../lib/vocab";
import type { ValidEvent } from "../pipeline/event";

export interface Invalid {
  message: string;
  /** The outcome reason: `invalid_<field>`. */
  reason: string;
  /** The event's level when it had a valid one, for the outcome category. */
  level: string | null;
}

export interface TimeRules {
  now: number;
  /** Earliest accepted timestamp (ingest: 30 days back), or null for no lower bound (import). */
  earliest: number | null;
  latest: number;
}

const OPTIONAL_STRINGS = [
  ["os_version", "osVersion"],
  ["app_version", "appVersion"],
  ["sdk_name", "sdkName"],
  ["sdk_version", "sdkVersion"],
  ["build_number", "buildNumber"],
  ["device_model", "deviceModel"],
  ["locale", "locale"],
] as const;

const MAX_ATTRIBUTES = 50;
const MAX_ATTRIBUTE_VALUE = 200;
const MAX_ATTRIBUTE_KEY = 200;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks one event of a batch; each field is checked as `ingest.md` lists it. */
export function validateEvent(raw: unknown, platform: Platform, time: TimeRules): ValidEvent | Invalid {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { message: "event must be a JSON object", reason: "invalid_event", level: null };
  }
  const e = raw as Record<string, unknown>;
  const level =
    typeof e.level === "string" && (LEVELS as readonly string[]).includes(e.level)
      ? (e.level as Level)
      : null;
  try {
    if (!level) {
      throw new FieldError(
        "level",
        e.level === undefined ? "level is required" : `level must be one of ${LEVELS.join(", ")}`,
      );
    }
    const environment = requiredString(e, "environment", 1, 255);
    const allowed = PLATFORM_ENVIRONMENTS[platform];
    if (!allowed.includes(environment)) {
      throw new FieldError(
        "environment",
        `environment '${environment}' does not fit this ${platform} app (allowed: ${allowed.join(", ")})`,
      );
    }
    const event: ValidEvent = {
      clientEventId: requiredString(e, "client_event_id", 1, 128),
      sessionId: requiredString(e, "session_id", 1, 128),
      userId: optionalString(e, "user_id", 255),
      level,
      sourceModule: optionalString(e, "source_module", 255),
      message: requiredString(e, "message", 1, 2000),
      screenName: optionalString(e, "screen_name", 255),
      customAttributes: stringMap(e, "custom_attributes", MAX_ATTRIBUTES),
      experiments: stringMap(e, "experiments", MAX_ATTRIBUTES),
      environment,
      osVersion: null,
      appVersion: null,
      sdkName: null,
      sdkVersion: null,
      buildNumber: null,
      deviceModel: null,
      locale: null,
      isDev: optionalBoolean(e, "is_dev"),
      timestamp: timestamp(e, time),
    };
    for (const [field, key] of OPTIONAL_STRINGS) event[key] = optionalString(e, field, 255);
    return event;
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    return { message: error.message, reason: `invalid_${error.field}`, level };
  }
}

export const isInvalid = (result: ValidEvent | Invalid): result is Invalid => "reason" in result;

function requiredString(e: Record<string, unknown>, field: string, min: number, max: number): string {
  const value = e[field];
  if (value === undefined || value === null) throw new FieldError(field, `${field} is required`);
  if (typeof value !== "string" || value.length < min || value.length > max) {
    throw new FieldError(field, `${field} must be a string of ${min} to ${max} characters`);
  }
  return value;
}

function optionalString(e: Record<string, unknown>, field: string, max: number): string | null {
  const value = e[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length > max) {
    throw new FieldError(field, `${field} must be a string of at most ${max} characters`);
  }
  return value;
}

function optionalBoolean(e: Record<string, unknown>, field: string): boolean {
  const value = e[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new FieldError(field, `${field} must be true or false`);
  return value;
}

/**
 * A string→string object, as JSON text. Numbers and booleans are written as strings (SDKs differ
 * there); nested objects are refused. Values are cut to 200 characters, as Owlmetry does.
 */
function stringMap(e: Record<string, unknown>, field: string, maxKeys: number): string | null {
  const value = e[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new FieldError(field, `${field} must be an object of string values`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > maxKeys) throw new FieldError(field, `${field} has more than ${maxKeys} keys`);
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > MAX_ATTRIBUTE_KEY) {
      throw new FieldError(field, `${field} keys must be 1 to ${MAX_ATTRIBUTE_KEY} characters`);
    }
    if (typeof v === "string") out[key] = v.slice(0, MAX_ATTRIBUTE_VALUE);
    else if (typeof v === "number" || typeof v === "boolean")
      out[key] = String(v).slice(0, MAX_ATTRIBUTE_VALUE);
    else throw new FieldError(field, `${field}.${key} must be a string`);
  }
  return JSON.stringify(out);
}

function timestamp(e: Record<string, unknown>, time: TimeRules): number {
  const value = e.timestamp;
  if (value === undefined || value === null) return time.now;
  const ms = typeof value === "string" && ISO_DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new FieldError("timestamp", "timestamp must be an ISO-8601 date such as 2024-01-15T10:30:00.000Z");
  }
  if (ms > time.latest) throw new FieldError("timestamp", "timestamp is more than 5 minutes in the future");
  if (time.earliest !== null && ms < time.earliest) {
    throw new FieldError("timestamp", "timestamp is more than 30 days in the past");
  }
  return ms;
}
