import { ApiError, forbidden } from "../../lib/errors";
import { eventId } from "../../lib/ids";
import type { Outcome } from "../../lib/vocab";
import type { KeyCaller } from "../access/caller";
import type { Identifier } from "../access/guard";
import type { AppContext, AppContexts } from "../apps/context";
import type { AttachmentsService } from "../attachments/service";
import { BodyError, readBodyBytes } from "../ingest/body";
import { tallyClientReport } from "../ingest/client-report";
import { filterOf } from "../ingest/filters";
import type { Quotas } from "../ingest/quotas";
import { categoryOfEvent } from "../pipeline/event";
import type { ReleaseSessions } from "../pipeline/repository";
import { OutcomeTally } from "../pipeline/tally";
import { outcomesOnly, refuse, type Writer } from "../pipeline/write-queue";
import { sentryKeyOf } from "./auth";
import {
  type Arrival,
  fromCheckIn,
  fromEvent,
  fromLog,
  fromSpans,
  fromTransaction,
  type SentryEvent,
} from "./convert";
import { type Envelope, type EnvelopeItem, parseEnvelope } from "./envelope";
import { sessionCounts } from "./sessions";

/** Sentry's limits (its docs): what one request, one event and one attachment may weigh. */
export interface SentryLimits {
  maxBytes: number;
  maxInflatedBytes: number;
  maxEventBytes: number;
  maxAttachmentBytes: number;
  maxSessions: number;
}

export const SENTRY_LIMITS: SentryLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxInflatedBytes: 100 * 1024 * 1024,
  maxEventBytes: 1024 * 1024,
  maxAttachmentBytes: 100 * 1024 * 1024,
  maxSessions: 100,
};

/** The categories the event quotas cover, named in a 429's `X-Sentry-Rate-Limits`. */
const QUOTA_CATEGORIES = "error;default;transaction;span;log_item;log_byte;monitor;feedback";

/** Item types held to Sentry's limit for one event. */
const SIZE_LIMITED = new Set(["event", "transaction", "feedback", "check_in"]);

/** What the route answers: Sentry's `{id}`, and the headers an SDK reads. */
export interface SentryReply {
  id: string | null;
  headers: Record<string, string>;
}

/** Whose outcomes: the key's project and the key, at the request's arrival. */
interface Source {
  projectId: string;
  keyId: string;
  receivedAt: number;
}

/** Where an item's data goes once read: events, session counts, outcomes. */
interface Collected {
  events: SentryEvent[];
  sessions: ReleaseSessions[];
  outcomes: OutcomeTally;
  /**
   * Outcomes that go with the events beyond the writer's one per event (a transaction's spans, a
   * log item's bytes): accepted or refused with them.
   */
  extra: Array<{ category: string; quantity: number }>;
}

/**
 * Sentry's ingest (decision 009): envelopes and bare events from Sentry's SDKs, authenticated by
 * the DSN's key (a client key), turned into Roost events that go through the same write queue,
 * filters, quotas and outcomes as Owlmetry's protocol.
 */
export class SentryService {
  constructor(
    private readonly auth: Identifier,
    private readonly apps: AppContexts,
    private readonly writer: Writer,
    private readonly quotas: Quotas,
    private readonly attachments: Pick<AttachmentsService, "storeWithEvent">,
    private readonly limits: SentryLimits = SENTRY_LIMITS,
  ) {}

  /** `POST /api/{sentry_id}/envelope/` and, with `bare`, the legacy `/store/` (one event JSON). */
  async receive(request: Request, projectParam: string, bare: boolean): Promise<SentryReply> {
    const receivedAt = Date.now();
    const { envelope, caller, app } = await this.open(request, projectParam, bare, receivedAt);
    const at: Source = { projectId: app.project.id, keyId: caller.keyId, receivedAt };
    this.checkSizes(envelope);
    if (app.project.status === "disabled") {
      const categories = envelope.items.map(categoryOfItem);
      await refuse(
        this.writer,
        at,
        categories,
        "abuse",
        "project_disabled",
        forbidden("This project is disabled"),
      );
    }
    const arrival: Arrival = {
      receivedAt,
      platform: app.platform,
      eventId: typeof envelope.header.event_id === "string" ? envelope.header.event_id : undefined,
    };
    const collected = this.collect(envelope, arrival, at, app);
    const { events, refusal, headers } = this.admit(collected, caller, app, at);
    await this.storeAttachments(envelope, collected.events, events, at, app, refusal?.outcome ?? null);
    await this.writer.submit({
      mode: "ingest",
      appId: app.appId,
      projectId: app.project.id,
      keyId: caller.keyId,
      receivedAt,
      events: events.map((event, index) => ({
        index,
        event: {
          ...event,
          id: eventId(event.timestamp, app.project.id),
          appId: app.appId,
          projectId: app.project.id,
          apiKeyId: caller.keyId,
          countryCode: null,
          receivedAt,
        },
      })),
      outcomes: collected.outcomes,
      sessions: collected.sessions,
    });
    // Refused in whole when the quota took everything the envelope held (429); else the header
    // alone tells the SDK which categories to hold back.
    if (refusal && collected.sessions.length === 0) throw new ApiError(429, refusal.message, {}, headers);
    return { id: arrival.eventId ?? collected.events[0]?.clientEventId ?? null, headers };
  }

  /**
   * The caller, its app and the envelope, or the refusal: a key in the query or a header is
   * checked before the body is read, one only in the envelope's dsn after. A body that cannot be
   * read is an `invalid` outcome when the key is already known.
   */
  private async open(request: Request, projectParam: string, bare: boolean, receivedAt: number) {
    if (!/^\d{1,15}$/.test(projectParam)) throw new ApiError(404, `Unknown project '${projectParam}'`);
    const url = new URL(request.url);
    const early = sentryKeyOf(url, request.headers, null);
    const caller = early ? await this.identify(early) : null;
    const app = caller ? await this.context(caller, projectParam) : null;
    const refuseBody = async (error: unknown, reason: string): Promise<never> => {
      if (error instanceof ApiError && caller && app) {
        const source = { projectId: app.project.id, keyId: caller.keyId, receivedAt };
        await refuse(this.writer, source, ["default"], "invalid", reason, error);
      }
      throw error;
    };
    let body: Uint8Array;
    try {
      body = await readBodyBytes(request, {
        maxBytes: this.limits.maxBytes,
        maxInflatedBytes: this.limits.maxInflatedBytes,
        encodings: ["gzip", "deflate"],
      });
    } catch (error) {
      return refuseBody(error, error instanceof BodyError ? error.reason : "payload");
    }
    let envelope: Envelope;
    try {
      envelope = bare ? bareEnvelope(body) : parseEnvelope(body);
    } catch (error) {
      return refuseBody(error, "payload");
    }
    if (caller && app) return { envelope, caller, app };
    const found = sentryKeyOf(url, request.headers, envelope.header);
    if (!found) {
      throw forbidden(
        "Missing authentication information: send sentry_key in the query string, the X-Sentry-Auth header or the envelope's dsn",
      );
    }
    const late = await this.identify(found);
    return { envelope, caller: late, app: await this.context(late, projectParam) };
  }

  /**
   * The events that pass the project's filters and the event quotas, with their outcomes counted.
   * Over a quota, every event of the envelope is refused (and the spans and log bytes with them),
   * and the headers tell the SDK for how long to hold back which categories.
   */
  private admit(collected: Collected, caller: KeyCaller, app: AppContext, at: Source) {
    const filter = filterOf(app.project);
    const kept: SentryEvent[] = [];
    for (const event of collected.events) {
      const hit = filter(event);
      if (hit) collected.outcomes.count(at, "filtered", hit, categoryOfEvent(event));
      else kept.push(event);
    }
    const headers: Record<string, string> = {};
    const refusal =
      kept.length > 0 ? this.quotas.check(caller, app.project, kept.length, "ingest", at.receivedAt) : null;
    const outcome = refusal?.outcome ?? "accepted";
    const reason = refusal?.reason ?? null;
    for (const extra of collected.extra)
      collected.outcomes.count(at, outcome, reason, extra.category, extra.quantity);
    if (!refusal) {
      this.quotas.take(caller, app.project, kept.length, "ingest", at.receivedAt);
      return { events: kept, refusal, headers };
    }
    for (const event of kept)
      collected.outcomes.count(at, refusal.outcome, refusal.reason, categoryOfEvent(event));
    headers["retry-after"] = String(refusal.retryAfter);
    headers["x-sentry-rate-limits"] =
      `${refusal.retryAfter}:${QUOTA_CATEGORIES}:${refusal.scope}:${refusal.reason}`;
    return { events: [] as SentryEvent[], refusal, headers };
  }

  /**
   * The envelope's attachment items, stored with the event they came with (the envelope's error,
   * transaction or feedback; else the header's event_id), before that event's commit links them.
   * An attachment shares its event's fate: filtered or over quota, it is not stored either.
   */
  private async storeAttachments(
    envelope: Envelope,
    all: readonly SentryEvent[],
    kept: readonly SentryEvent[],
    at: Source,
    app: AppContext,
    refused: Outcome | null,
  ): Promise<void> {
    const files = envelope.items.filter((item) => item.type === "attachment");
    if (files.length === 0) return;
    const owner = all.find((e) => e.kind === "event" || e.kind === "transaction" || e.kind === "feedback");
    const headerId = typeof envelope.header.event_id === "string" ? envelope.header.event_id : null;
    const clientEventId = owner?.clientEventId ?? headerId?.replaceAll("-", "") ?? null;
    const dropped = (outcome: Outcome, reason: string | null) => {
      const tally = new OutcomeTally();
      for (const file of files) {
        tally.add({
          ...at,
          at: at.receivedAt,
          outcome,
          reason,
          category: "attachment",
          quantity: file.payload.byteLength,
          timesSeen: 1,
        });
      }
      return this.writer.submit(outcomesOnly(tally));
    };
    if (clientEventId === null) return void (await dropped("invalid", "no_event"));
    if (owner && !kept.includes(owner)) {
      return void (await dropped(refused ?? "filtered", refused ? "event_refused" : "event_filtered"));
    }
    for (const file of files) {
      const name =
        typeof file.header.filename === "string" && file.header.filename
          ? file.header.filename
          : "attachment";
      const type =
        typeof file.header.content_type === "string" && file.header.content_type
          ? file.header.content_type
          : "application/octet-stream";
      await this.attachments.storeWithEvent({
        source: { projectId: at.projectId, keyId: at.keyId, at: at.receivedAt },
        appId: app.appId,
        quotaBytes: app.project.quota.attachment_bytes,
        clientEventId,
        userId: owner?.userId ?? null,
        isDev: owner?.isDev ?? false,
        filename: name.slice(0, 255),
        contentType: type.slice(0, 255),
        bytes: file.payload,
      });
    }
  }

  /** The DSN's key as a caller: a live client key allowed to write events, or 401/403. */
  private async identify(found: { key: string } | { conflict: true }): Promise<KeyCaller> {
    if ("conflict" in found) {
      throw new ApiError(
        401,
        "The request names more than one key (query, X-Sentry-Auth, envelope dsn); send one",
      );
    }
    const caller = await this.auth.identify(`Bearer ${found.key}`);
    if (caller.type !== "key" || caller.kind !== "client") {
      throw forbidden("A DSN takes a client key (owl_client_…)");
    }
    if (!caller.permissions.includes("events:write")) throw forbidden("Missing permission: events:write");
    return caller;
  }

  /** The key's app, which must be in the project the path names (Sentry's `ProjectId` rejection). */
  private async context(caller: KeyCaller, projectParam: string): Promise<AppContext> {
    const ctx = await this.apps.of(caller);
    if (String(ctx.project.sentry_id) !== projectParam) {
      throw forbidden("event submission rejected with_reason: ProjectId");
    }
    return ctx;
  }

  /** Sentry's per-item limits: over one, the whole envelope is refused with 413. */
  private checkSizes(envelope: Envelope): void {
    let sessions = 0;
    for (const item of envelope.items) {
      if (SIZE_LIMITED.has(item.type) && item.payload.byteLength > this.limits.maxEventBytes) {
        throw new ApiError(413, `An ${item.type} item is larger than ${this.limits.maxEventBytes} bytes`);
      }
      if (item.type === "attachment" && item.payload.byteLength > this.limits.maxAttachmentBytes) {
        throw new ApiError(413, `An attachment is larger than ${this.limits.maxAttachmentBytes} bytes`);
      }
      if (item.type === "session") sessions++;
      if (item.type === "sessions") sessions += aggregatesIn(item);
    }
    if (sessions > this.limits.maxSessions) {
      throw new ApiError(
        413,
        `An envelope may hold at most ${this.limits.maxSessions} sessions, this one ${sessions}`,
      );
    }
  }

  /** Each item read into events, session counts and outcomes; unknown types are skipped. */
  private collect(envelope: Envelope, arrival: Arrival, at: Source, app: AppContext): Collected {
    const out: Collected = { events: [], sessions: [], outcomes: new OutcomeTally(), extra: [] };
    for (const item of envelope.items) {
      const payload = itemJson(item);
      if (payload === undefined) {
        if (item.type in CATEGORY_OF_ITEM) out.outcomes.count(at, "invalid", "payload", categoryOfItem(item));
        continue;
      }
      const record = payload as Record<string, unknown>;
      switch (item.type) {
        case "event":
          out.events.push(fromEvent(record, arrival));
          break;
        case "feedback":
          out.events.push(fromEvent(record, arrival, "feedback"));
          break;
        case "transaction": {
          out.events.push(fromTransaction(record, arrival));
          const spans = Array.isArray(record.spans) ? record.spans.length : 0;
          out.extra.push({ category: "span", quantity: spans + 1 });
          break;
        }
        case "span": {
          const spans = (Array.isArray(record.items) ? record.items : [record]).filter(isRecord);
          out.events.push(...fromSpans(spans, arrival, envelope.header));
          out.extra.push({ category: "span", quantity: spans.length });
          break;
        }
        case "log": {
          const logs = (Array.isArray(record.items) ? record.items : [record]).filter(isRecord);
          for (const log of logs) out.events.push(fromLog(log, arrival, envelope.header));
          out.extra.push({ category: "log_byte", quantity: item.payload.byteLength });
          break;
        }
        case "check_in":
          out.events.push(fromCheckIn(record, arrival));
          break;
        case "session":
        case "sessions": {
          const counts = sessionCounts(item.type, record, app, arrival.receivedAt);
          out.sessions.push(...counts.rows);
          if (counts.sessions > 0) out.outcomes.count(at, "accepted", null, "session", counts.sessions);
          else out.outcomes.count(at, "invalid", "payload", "session");
          break;
        }
        case "client_report": {
          const report = tallyClientReport(record, at, 1000);
          if ("outcomes" in report) out.outcomes.merge(report.outcomes);
          break;
        }
      }
    }
    return out;
  }
}

/** Every item type Roost reads, and its outcome category (Sentry's names). */
const CATEGORY_OF_ITEM: Record<string, string> = {
  event: "error",
  transaction: "transaction",
  span: "span",
  log: "log_item",
  check_in: "monitor",
  feedback: "feedback",
  attachment: "attachment",
  session: "session",
  sessions: "session",
  client_report: "default",
};

const categoryOfItem = (item: EnvelopeItem): string => CATEGORY_OF_ITEM[item.type] ?? "default";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** An item's payload as a JSON object; undefined when it is not one. */
function itemJson(item: EnvelopeItem): Record<string, unknown> | undefined {
  if (item.type === "attachment") return {};
  try {
    const value = JSON.parse(new TextDecoder().decode(item.payload));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** How many session counts a `sessions` item holds (one per aggregate). */
function aggregatesIn(item: EnvelopeItem): number {
  const aggregates = itemJson(item)?.aggregates;
  return Array.isArray(aggregates) ? aggregates.length : 0;
}

/** A bare event (the legacy store endpoint) as an envelope of one event item. */
function bareEnvelope(body: Uint8Array): Envelope {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ApiError(400, "The request body is not valid JSON");
  }
  if (!isRecord(event)) throw new ApiError(400, "The request body must be a JSON object (one event)");
  const header: Record<string, unknown> =
    typeof event.event_id === "string" ? { event_id: event.event_id } : {};
  return { header, items: [{ type: "event", header: { type: "event" }, payload: body }] };
}
