import { BodyError, readBodyBytes } from "../../lib/body";
import { ApiError, forbidden } from "../../lib/errors";
import { eventId } from "../../lib/ids";
import type { Outcome } from "../../lib/vocab";
import type { KeyCaller } from "../access/caller";
import type { Identifier } from "../access/guard";
import type { AppContext, AppContexts } from "../apps/context";
import type { AttachmentsService } from "../attachments/service";
import { filterOf } from "../ingest/filters";
import type { QuotaGate } from "../ingest/quotas";
import { categoryOfEvent } from "../pipeline/event";
import { OutcomeTally } from "../pipeline/tally";
import { outcomesOnly, refuse, type Writer } from "../pipeline/write-queue";
import { sentryKeyOf } from "./auth";
import { aggregatesIn, type Collected, categoryOfItem, collect, type Source } from "./collect";
import { bareEnvelope, type Envelope, parseEnvelope } from "./envelope";
import type { Arrival, SentryEvent } from "./fields";

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
    private readonly quotas: QuotaGate,
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
    const collected = collect(envelope, arrival, at, app);
    const { events, refusal, headers } = await this.admit(collected, caller, app, at);
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
  private async admit(collected: Collected, caller: KeyCaller, app: AppContext, at: Source) {
    const filter = filterOf(app.project);
    const kept: SentryEvent[] = [];
    for (const event of collected.events) {
      const hit = filter(event);
      if (hit) collected.outcomes.count(at, "filtered", hit, categoryOfEvent(event));
      else kept.push(event);
    }
    const headers: Record<string, string> = {};
    // Checked and counted in one step (across nodes, on a cluster).
    const refusal =
      kept.length > 0
        ? await this.quotas.admit(caller, app.project, kept.length, "ingest", at.receivedAt)
        : null;
    const outcome = refusal?.outcome ?? "accepted";
    const reason = refusal?.reason ?? null;
    for (const extra of collected.extra)
      collected.outcomes.count(at, outcome, reason, extra.category, extra.quantity);
    if (!refusal) return { events: kept, refusal, headers };
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
}
