import { countryOf } from "./country";
import { badRequest } from "./errors";
import { PLATFORM_ENVIRONMENTS, type Platform } from "./vocab";

/**
 * What Owlmetry's SDKs send about themselves and the device beside feedback and questionnaire
 * answers, read as Owlmetry does: text trimmed and cut, anything else absent.
 */
export function trimmed(value: unknown, max: number): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text.length === 0 ? null : text.slice(0, max);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A session id, when given, must be a UUID (Swift sends them in capitals). */
export function sessionIdOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || !UUID.test(value)) throw badRequest("session_id must be a UUID");
  return value;
}

export interface DeviceFields {
  isDev: boolean;
  environment: string | null;
  osVersion: string | null;
  appVersion: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  deviceModel: string | null;
  /** From `CF-IPCountry`; never for a backend app (its requests come from its servers). */
  countryCode: string | null;
}

/** The device fields of a body; an environment that does not fit the app's platform is a 400. */
export function deviceFields(
  body: Record<string, unknown>,
  platform: Platform,
  countryHeader: string | null,
): DeviceFields {
  const environment = typeof body.environment === "string" && body.environment ? body.environment : null;
  const allowed = PLATFORM_ENVIRONMENTS[platform];
  if (environment !== null && !allowed.includes(environment)) {
    throw badRequest(
      `environment "${environment}" is not allowed for ${platform} apps (allowed: ${allowed.join(", ")})`,
    );
  }
  return {
    isDev: body.is_dev === true,
    environment,
    osVersion: trimmed(body.os_version, 50),
    appVersion: trimmed(body.app_version, 50),
    sdkName: trimmed(body.sdk_name, 50),
    sdkVersion: trimmed(body.sdk_version, 50),
    deviceModel: trimmed(body.device_model, 100),
    countryCode: platform === "backend" ? null : countryOf(countryHeader),
  };
}
