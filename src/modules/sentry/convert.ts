import type { Level, Platform } from "../../lib/vocab";
import { PLATFORM_ENVIRONMENTS } from "../../lib/vocab";
import type { SentryKind, ValidEvent } from "../pipeline/event";

/**
 * Sentry's payloads as Roost events (decision 009). Every field Owlmetry's events have is filled
 * from where Sentry keeps it; what has no column (tags, Sentry's own level and environment, a
 * transaction's duration) goes into custom_attributes, and the whole item is kept as the payload.
 */

type Json = Record<string, unknown>;

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
const MAX_VALUE = 200;
const MAX_MESSAGE = 2000;
const FUTURE_MS = 5 * 60_000;
const PAST_MS = 30 * 86_400_000;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const obj = (value: unknown): Json => (isObject(value) ? value : {});
const str = (value: unknown): string | null =>
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
function eventTime(value: unknown, receivedAt: number): number {
  const ms = timeOf(value);
  if (ms === null || ms > receivedAt + FUTURE_MS || ms < receivedAt - PAST_MS) return receivedAt;
  return ms;
}

/** Attributes as Owlmetry keeps them: at most 50, text values cut to 200 characters. */
class Attributes {
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
function userIdOf(user: unknown): string | null {
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
function common(item: Json, arrival: Arrival, eventId: string | null) {
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

/** An `event` item (an error or a message), a `feedback` item, or a bare event to `/store/`. */
export function fromEvent(item: Json, arrival: Arrival, kind: "event" | "feedback" = "event"): SentryEvent {
  const { sentryEnvironment, ...base } = common(item, arrival, null);
  const attributes = new Attributes();
  if (item.level !== undefined) attributes.set("sentry.level", item.level);
  if (sentryEnvironment) attributes.set("sentry.environment", sentryEnvironment);
  attributes.addTags(item.tags);
  const feedback = obj(obj(item.contexts).feedback);
  const message = kind === "feedback" ? (str(feedback.message) ?? messageOf(item)) : messageOf(item);
  return {
    ...base,
    level: levelOf(item.level ?? (kind === "feedback" ? "info" : "error")),
    sourceModule:
      (str(item.culprit) ?? str(item.transaction) ?? str(item.logger))?.slice(0, MAX_VALUE) ?? null,
    message: message.slice(0, MAX_MESSAGE),
    customAttributes: attributes.json(),
    timestamp: eventTime(item.timestamp, arrival.receivedAt),
    kind,
    payload: JSON.stringify(item),
  };
}

/** A `transaction` item: its name, duration, status and span count; its spans stay in the payload. */
export function fromTransaction(item: Json, arrival: Arrival): SentryEvent {
  const { sentryEnvironment, ...base } = common(item, arrival, null);
  const trace = obj(obj(item.contexts).trace);
  const start = timeOf(item.start_timestamp);
  const end = timeOf(item.timestamp);
  const spans = Array.isArray(item.spans) ? item.spans.length : 0;
  const attributes = new Attributes();
  if (start !== null && end !== null) attributes.set("duration_ms", Math.max(0, end - start));
  attributes.set("status", str(trace.status) ?? "ok");
  attributes.set("span_count", spans);
  if (sentryEnvironment) attributes.set("sentry.environment", sentryEnvironment);
  attributes.addTags(item.tags);
  return {
    ...base,
    level: "info",
    sourceModule: str(trace.op)?.slice(0, MAX_VALUE) ?? null,
    message: (str(item.transaction) ?? "<unnamed transaction>").slice(0, MAX_MESSAGE),
    customAttributes: attributes.json(),
    timestamp: eventTime(item.start_timestamp ?? item.timestamp, arrival.receivedAt),
    kind: "transaction",
    payload: JSON.stringify(item),
  };
}

/**
 * A `span` container (what current SDKs send instead of transactions): its spans grouped by
 * segment; each group is one event, named by its segment span (`is_segment`), with every span of
 * the group in its payload. A group whose segment came in another envelope is stored all the same.
 */
export function fromSpans(spans: readonly Json[], arrival: Arrival, envelope: Json): SentryEvent[] {
  const groups = new Map<string, Json[]>();
  for (const span of spans) {
    // `@sentry/node` 11 names the segment in an attribute; the protocol also has segment_id.
    const id =
      str(obj(obj(span.attributes)["sentry.segment.id"]).value) ??
      str(span.segment_id) ??
      (span.is_segment ? str(span.span_id) : null) ??
      str(span.trace_id) ??
      "";
    const group = groups.get(id) ?? [];
    group.push(span);
    groups.set(id, group);
  }
  const sdk = obj(envelope.sdk);
  return [...groups.values()].map((group) => {
    const segment = group.find((s) => s.is_segment === true) ?? (group[0] as Json);
    const attrs = obj(segment.attributes);
    const value = (name: string) => obj(attrs[name]).value ?? attrs[name];
    const start = timeOf(segment.start_timestamp);
    const end = timeOf(segment.end_timestamp);
    const attributes = new Attributes();
    if (start !== null && end !== null) attributes.set("duration_ms", Math.max(0, end - start));
    attributes.set("status", str(segment.status) ?? "ok");
    attributes.set("span_count", group.length);
    const environment = str(value("sentry.environment"));
    if (environment) attributes.set("sentry.environment", environment);
    const item: Json = {
      event_id: str(segment.span_id) ?? undefined,
      platform: str(value("sentry.platform")) ?? (str(sdk.name)?.includes("node") ? "node" : undefined),
      release: value("sentry.release"),
      environment,
      sdk,
      contexts: { trace: { trace_id: segment.trace_id } },
      user: { id: value("user.id"), email: value("user.email") },
    };
    const { sentryEnvironment: _, ...base } = common(item, arrival, str(segment.span_id));
    return {
      ...base,
      level: "info" as const,
      sourceModule: str(value("sentry.op"))?.slice(0, MAX_VALUE) ?? null,
      message: (str(segment.name) ?? "<unnamed span>").slice(0, MAX_MESSAGE),
      customAttributes: attributes.json(),
      timestamp: eventTime(segment.start_timestamp, arrival.receivedAt),
      kind: "transaction" as const,
      payload: JSON.stringify({ segment, spans: group.filter((s) => s !== segment) }),
    };
  });
}

/**
 * One entry of a `log` item: its level, body as message, typed attributes as text. Its JSON is
 * kept as the payload only when the columns could not hold all of it (an attribute cut or left
 * out, a long body): logs come by the hundred, and storing each one twice halved their rate.
 */
export function fromLog(log: Json, arrival: Arrival, envelope: Json): SentryEvent {
  const attrs = obj(log.attributes);
  const value = (name: string) => obj(attrs[name]).value ?? attrs[name];
  const attributes = new Attributes();
  if (log.level !== undefined) attributes.set("sentry.level", log.level);
  for (const [key, raw] of Object.entries(attrs)) attributes.set(key, obj(raw).value ?? raw);
  const environment = str(value("sentry.environment"));
  const item: Json = {
    platform: undefined,
    release: value("sentry.release"),
    environment,
    sdk: {
      name: value("sentry.sdk.name") ?? obj(envelope.sdk).name,
      version: value("sentry.sdk.version") ?? obj(envelope.sdk).version,
    },
    contexts: { trace: { trace_id: log.trace_id } },
    user: { id: value("user.id"), email: value("user.email") },
  };
  const { sentryEnvironment: _, ...base } = common(item, arrival, Bun.randomUUIDv7());
  const body = str(log.body) ?? "<empty log>";
  const customAttributes = attributes.json();
  return {
    ...base,
    level: levelOf(log.level),
    sourceModule: str(value("sentry.origin"))?.slice(0, MAX_VALUE) ?? null,
    message: body.slice(0, MAX_MESSAGE),
    customAttributes,
    timestamp: eventTime(log.timestamp, arrival.receivedAt),
    kind: "log",
    unkeyed: true,
    payload: attributes.lossy || body.length > MAX_MESSAGE ? JSON.stringify(log) : undefined,
  };
}

/** A `check_in` item (a cron monitor's run): `<monitor>: <status>`. */
export function fromCheckIn(item: Json, arrival: Arrival): SentryEvent {
  const { sentryEnvironment, ...base } = common(item, arrival, str(item.check_in_id));
  const attributes = new Attributes();
  attributes.set("monitor_slug", item.monitor_slug);
  attributes.set("status", item.status);
  if (item.duration !== undefined) attributes.set("duration_ms", Math.round(Number(item.duration) * 1000));
  if (sentryEnvironment) attributes.set("sentry.environment", sentryEnvironment);
  return {
    ...base,
    level: item.status === "error" ? "error" : "info",
    sourceModule: str(item.monitor_slug)?.slice(0, MAX_VALUE) ?? null,
    message: `${str(item.monitor_slug) ?? "<monitor>"}: ${str(item.status) ?? "unknown"}`.slice(
      0,
      MAX_MESSAGE,
    ),
    customAttributes: attributes.json(),
    timestamp: arrival.receivedAt,
    kind: "check_in",
    payload: JSON.stringify(item),
  };
}
