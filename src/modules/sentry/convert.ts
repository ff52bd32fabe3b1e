import {
  type Arrival,
  Attributes,
  common,
  eventTime,
  type Json,
  levelOf,
  MAX_MESSAGE,
  MAX_VALUE,
  messageOf,
  obj,
  type SentryEvent,
  str,
  timeOf,
} from "./fields";

/**
 * Each Sentry item type a current SDK sends, as Roost events (decision 009): the fields they all
 * share come from fields.ts; what each type names differently, and what it keeps as attributes,
 * is here.
 */

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
