import { createHash } from "node:crypto";

/**
 * Which issue an error belongs to (decision 011): Owlmetry's fingerprint for events sent by its
 * SDKs, Sentry's default grouping for events sent by Sentry's, and an explicit `fingerprint` in a
 * Sentry event over both.
 */

/** An error as the fingerprint reads it: stored fields only, so a rebuild computes the same. */
export interface ErrorFields {
  message: string;
  sourceModule: string | null;
  customAttributes: Readonly<Record<string, string>> | null;
  /** The Sentry item JSON, for events that came through a Sentry SDK. */
  payload: string | null;
}

export interface Grouping {
  /** SHA-256, hex. */
  fingerprint: string;
  /** What the issue is called when this event opens it. */
  title: string;
}

/** Owlmetry's normalisation: ids, numbers and quoted text are the variable parts of a message. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<UUID>")
    .replace(/\b\d+(\.\d+)*\b/g, "<N>")
    .replace(/"[^"]*"/g, '"<S>"')
    .replace(/'[^']*'/g, "'<S>'")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** The event message Owlmetry's SDKs give a tracked HTTP request. */
export const NETWORK_REQUEST = "sdk:network_request";

/**
 * What keeps apart errors that share their words: the request (method, host and templated path)
 * of an SDK's network error, else the error's runtime type.
 */
export function discriminatorOf(message: string, attributes: Readonly<Record<string, string>> | null) {
  if (!attributes) return null;
  if (message === NETWORK_REQUEST && attributes._http_url) {
    const method = (attributes._http_method ?? "GET").toUpperCase();
    return `${method} ${templatedUrl(attributes._http_url)}`;
  }
  return attributes._error_type || null;
}

/** host + path with its ids as `:id` (numbers, UUIDs, long hex or tokens); no query, no fragment. */
export function templatedUrl(url: string): string {
  let host = "";
  let path = url;
  try {
    const parsed = new URL(url);
    host = parsed.host;
    path = parsed.pathname;
  } catch {
    path = url.replace(/[?#].*$/, "");
  }
  const segments = path.split("/").map((s) => (isIdSegment(s) ? ":id" : s));
  return `${host}${segments.join("/")}`;
}

function isIdSegment(segment: string): boolean {
  if (segment === "") return false;
  if (/^\d+$/.test(segment)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return true;
  if (/^[0-9a-f]{8,}$/i.test(segment) && /\d/.test(segment)) return true;
  return segment.length >= 20 && /^[A-Za-z0-9_-]+$/.test(segment) && /\d/.test(segment);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Owlmetry's fingerprint: the source module as sent, the normalised message, the discriminator. */
export function owlmetryFingerprint(
  message: string,
  sourceModule: string | null,
  discriminator: string | null,
) {
  const base = `${sourceModule ?? ""}:${normalizeMessage(message)}`;
  return sha256(discriminator ? `${base}:${discriminator}` : base);
}

export function groupingOf(error: ErrorFields): Grouping {
  if (error.payload) {
    const sentry = sentryGrouping(error.payload, error.message);
    if (sentry) return sentry;
  }
  const discriminator = discriminatorOf(error.message, error.customAttributes);
  return {
    fingerprint: owlmetryFingerprint(error.message, error.sourceModule, discriminator),
    title: error.message,
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

/**
 * Sentry's default grouping, as its docs describe it: by the exception types and the in-app
 * frames of their stack traces (module or file, and function; never line numbers), else every
 * frame; with no frames, by type and normalised value; with no exception, by the normalised
 * message. An explicit `fingerprint` replaces it, `{{ default }}` standing for it.
 */
export function sentryGrouping(payloadText: string, message: string): Grouping | null {
  let payload: Json;
  try {
    payload = obj(JSON.parse(payloadText));
  } catch {
    return null;
  }
  const components = defaultComponents(payload, message);
  const explicit = list(payload.fingerprint).filter((v): v is string => typeof v === "string");
  const parts =
    explicit.length > 0
      ? explicit.flatMap((v) => (/^\{\{\s*default\s*\}\}$/.test(v) ? components : [`explicit:${v}`]))
      : components;
  return { fingerprint: sha256(JSON.stringify(parts)), title: message };
}

function defaultComponents(payload: Json, message: string): string[] {
  const exceptions = list(obj(payload.exception).values).map(obj);
  if (exceptions.length > 0) {
    const frameLists = exceptions.map((e) => list(obj(e.stacktrace).frames).map(obj));
    const anyInApp = frameLists.some((frames) => frames.some((f) => f.in_app === true));
    return exceptions.flatMap((e, i) => {
      const type = text(e.type) ?? "Error";
      const frames = (frameLists[i] ?? []).filter((f) => !anyInApp || f.in_app === true);
      if (frames.length === 0) return [`type:${type}`, `value:${normalizeMessage(text(e.value) ?? "")}`];
      return [`type:${type}`, ...frames.map((f) => `frame:${frameName(f)}`)];
    });
  }
  const logentry = obj(payload.logentry);
  const template = text(logentry.message) ?? text(logentry.formatted) ?? text(payload.message) ?? message;
  return [`message:${normalizeMessage(template)}`];
}

function frameName(frame: Json): string {
  const where = text(frame.module) ?? text(frame.filename) ?? text(frame.abs_path) ?? "?";
  return `${where}:${text(frame.function) ?? "?"}`;
}
