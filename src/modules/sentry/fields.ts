import type { Level, Platform } from "../../lib/vocab";
import { PLATFORM_ENVIRONMENTS } from "../../lib/vocab";
import type { SentryKind, ValidEvent } from "../pipeline/event";

/**
 * Sentry's fields as Owlmetry's (decision 009). Every field Owlmetry's events have is filled from
 * where Sentry keeps it; what has no column (tags, Sentry's own level and environment, a
 * transaction's duration) goes into custom_attributes, and the whole item is kept as the payload.
 */

export type Json = Record<string, unknown>;

/** A Sentry item as a Roost event: Owlmetry's fields, its kind and its JSON. */
export type SentryEvent = ValidEvent & { kind: SentryKind; payload?: string; unkeyed?: true };

/** When the event arrived and which app it is for: what every conversion needs besides the item. */
export interface Arrival {
  receivedAt: number;
  platform: Platform;
  /** The envelope header's event_id, for items that carry none. */
  eventId?: string;
}

const MAX_ATTRIBUTES = 50;
export const MAX_VALUE = 200;
export const MAX_MESSAGE = 2000;
const FUTURE_MS = 5 * 60_000;
const PAST_MS = 30 * 86_400_000;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
export const obj = (value: unknown): Json => (isObject(value) ? value : {});
export const str = (value: unknown): string | null =>
  typeof value === "string" && value !== "" ? value : typeof value === "number" ? String(value) : null;

/** Sentry's levels as Owlmetry's four; the original is kept as attribute `sentry.level`. */
export function levelOf(sentryLevel: unknown): Level {
  switch (sentryLevel) {
    case "fatal":
    case "error":
      return "error";
    case "warning":
    case "warn":
      return "warn";
    case "debug":
    case "trace":
      return "debug";
    default:
      return "info";
  }
}

/** The SDK's platform as Owlmetry's environment; the app's own when Sentry's names none of them. */
export function environmentOf(sdkPlatform: unknown, app: Platform): string {
  const byPlatform: Record<string, string> = {
    node: "backend",
    python: "backend",
    go: "backend",
    ruby: "backend",
    php: "backend",
    java: "android",
    android: "android",
    javascript: "web",
    cocoa: "ios",
    objc: "ios",
    swift: "ios",
  };
  const mapped = typeof sdkPlatform === "string" ? byPlatform[sdkPlatform] : undefined;
  const allowed = PLATFORM_ENVIRONMENTS[app];
  if (mapped && allowed.includes(mapped)) return mapped;
  return allowed[0] as string;
}

/** `release` as app version and build: `name@1.2.3+45` → 1.2.3 and 45 (`dist` when no `+`). */
export function releaseOf(
  release: unknown,
  dist: unknown,
): { appVersion: string | null; buildNumber: string | null } {
  const text = str(release);
  if (!text) return { appVersion: null, buildNumber: str(dist) };
  const version = text.includes("@") ? text.slice(text.lastIndexOf("@") + 1) : text;
  const plus = version.indexOf("+");
  return plus === -1
    ? { appVersion: version.slice(0, MAX_VALUE), buildNumber: str(dist) }
    : {
        appVersion: version.slice(0, plus).slice(0, MAX_VALUE),
        buildNumber: version.slice(plus + 1).slice(0, MAX_VALUE),
      };
}

/** A Sentry time (seconds since the epoch, or ISO-8601) in epoch ms; null when it is neither. */
export function timeOf(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** An event's time, clamped as Sentry clamps it: too far ahead or back becomes the arrival. */
export function eventTime(value: unknown, receivedAt: number): number {
  const ms = timeOf(value);
  if (ms === null || ms > receivedAt + FUTURE_MS || ms < receivedAt - PAST_MS) return receivedAt;
  return ms;
}

/** Attributes as Owlmetry keeps them: at most 50, text values cut to 200 characters. */
export class Attributes {
  private readonly values: Record<string, string> = {};
  private size = 0;
  /** Whether a value was cut or left out: then only the payload holds all of it. */
  lossy = false;

  set(key: string, value: unknown): void {
    const text =
      typeof value === "string"
        ? value
        : typeof value === "number" || typeof value === "boolean"
          ? String(value)
          : null;
    if (text === null || this.size >= MAX_ATTRIBUTES || key === "" || key.length > MAX_VALUE) {
      this.lossy ||= value !== undefined && value !== null;
      return;
    }
    if (!(key in this.values)) this.size++;
    if (text.length > MAX_VALUE) this.lossy = true;
    this.values[key] = text.slice(0, MAX_VALUE);
  }

  /** Sentry's tags: an object, or a list of [key, value] pairs. */
  addTags(tags: unknown): void {
    if (Array.isArray(tags)) {
      for (const pair of tags) if (Array.isArray(pair)) this.set(String(pair[0]), pair[1]);
    } else for (const [key, value] of Object.entries(obj(tags))) this.set(key, value);
  }

  json(): string | null {
    return this.size === 0 ? null : JSON.stringify(this.values);
  }
}

/** A user's id: `user.id`, else a hash of the email or ip address (never the address itself). */
export function userIdOf(user: unknown): string | null {
  const u = obj(user);
  const id = str(u.id);
  if (id) return id.slice(0, MAX_VALUE);
  const contact = str(u.email) ?? str(u.ip_address);
  if (!contact || contact === "{{auto}}") return null;
  return `hash:${new Bun.CryptoHasher("sha256").update(contact.toLowerCase()).digest("hex").slice(0, 32)}`;
}

/** The line an error reads as: the last exception's `Type: value`, else the message. */
export function messageOf(event: Json): string {
  const values = obj(event.exception).values ?? event.exception;
  if (Array.isArray(values) && values.length > 0) {
    const last = obj(values[values.length - 1]);
    const type = str(last.type);
    const value = str(last.value);
    const line = type && value ? `${type}: ${value}` : (type ?? value);
    if (line) return line.slice(0, MAX_MESSAGE);
  }
  const message = event.message ?? event.logentry;
  const text =
    typeof message === "string" ? message : (str(obj(message).formatted) ?? str(obj(message).message));
  return (text ?? "<no message>").slice(0, MAX_MESSAGE);
}

/** The fields every item's event shares: ids, user, release, device, SDK, dev or not. */
export function common(item: Json, arrival: Arrival, eventId: string | null) {
  const contexts = obj(item.contexts);
  const os = obj(contexts.os);
  const device = obj(contexts.device);
  const sdk = obj(item.sdk);
  const environment = str(item.environment);
  const { appVersion, buildNumber } = releaseOf(item.release, item.dist);
  const clientEventId = (eventId ?? str(item.event_id) ?? arrival.eventId ?? Bun.randomUUIDv7())
    .replaceAll("-", "")
    .slice(0, MAX_VALUE);
  return {
    clientEventId,
    // Sentry events belong to no Owlmetry session: the trace groups what one request or one
    // process did, which is the nearest thing.
    sessionId: (str(obj(contexts.trace).trace_id) ?? clientEventId).slice(0, MAX_VALUE),
    userId: userIdOf(item.user),
    screenName: null,
    experiments: null,
    environment: environmentOf(item.platform, arrival.platform),
    osVersion: (str(os.version) ?? str(os.kernel_version))?.slice(0, MAX_VALUE) ?? null,
    appVersion,
    sdkName: str(sdk.name)?.slice(0, MAX_VALUE) ?? null,
    sdkVersion: str(sdk.version)?.slice(0, MAX_VALUE) ?? null,
    buildNumber,
    deviceModel: (str(device.model) ?? str(device.family))?.slice(0, MAX_VALUE) ?? null,
    locale: str(obj(contexts.culture).locale)?.slice(0, MAX_VALUE) ?? null,
    isDev: environment !== null && environment !== "production",
    sentryEnvironment: environment,
  };
}
