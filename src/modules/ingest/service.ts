import { BodyError, readJsonBody } from "../../lib/body";
import { countryOf } from "../../lib/country";
import { ApiError, forbidden } from "../../lib/errors";
import { eventId } from "../../lib/ids";
import { categoryOfLevel } from "../../lib/vocab";
import type { KeyCaller } from "../access/caller";
import type { AppContext, AppContexts } from "../apps/context";
import type { StoredEvent, ValidEvent } from "../pipeline/event";
import { OutcomeTally } from "../pipeline/tally";
import { outcomesOnly, refuse, type Writer } from "../pipeline/write-queue";
import { tallyClientReport } from "./client-report";
import { type FilterId, filterOf } from "./filters";
import type { QuotaGate } from "./quotas";
import { isInvalid, validateEvent } from "./validate";

export interface IngestLimits {
  maxBodyBytes: number;
  maxEvents: number;
  maxImportEvents: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxEvents: 1000,
  maxImportEvents: 10_000,
};

const FUTURE_MS = 5 * 60_000;
const PAST_MS = 30 * 86_400_000;

/** The app a key sends to, with its project's filters. */
interface IngestContext extends AppContext {
  filter: (event: ValidEvent) => FilterId | null;
}

export interface IngestReply {
  accepted: number;
  rejected: number;
  duplicates: number;
  filtered: number;
  updated: number;
  errors: Array<{ index: number; message: string }>;
}

/**
 * The write path of the Owlmetry protocol. Every item that arrives leaves an outcome: the service
 * decides invalid, filtered, rate limited and abuse; the writer decides accepted and duplicate,
 * and commits all of them with the events in one transaction before the request is answered.
 */
export class IngestService {
  constructor(
    private readonly apps: AppContexts,
    private readonly writer: Writer,
    private readonly quotas: QuotaGate,
    private readonly limits: IngestLimits = DEFAULT_INGEST_LIMITS,
  ) {}

  async ingest(caller: KeyCaller, request: Request, mode: "ingest" | "import"): Promise<IngestReply> {
    const receivedAt = Date.now();
    const ctx = await this.context(caller);
    const source = { projectId: ctx.project.id, keyId: caller.keyId, receivedAt };

    const body = await this.readBody(request, source);
    const rawEvents = await this.checkShape(body, ctx, mode, source);
    const categories = rawEvents.map((e) => categoryOfLevel(levelOf(e)));

    if (ctx.project.status === "disabled") {
      await refuse(
        this.writer,
        source,
        categories,
        "abuse",
        "project_disabled",
        forbidden("This project is disabled"),
      );
    }

    const outcomes = new OutcomeTally();
    const errors: IngestReply["errors"] = [];
    const valid: Array<{ index: number; event: StoredEvent }> = [];
    let filtered = 0;
    const time = {
      now: receivedAt,
      latest: receivedAt + FUTURE_MS,
      earliest: mode === "import" ? null : receivedAt - PAST_MS,
    };
    const countryCode = countryOf(request.headers.get("cf-ipcountry"));
    rawEvents.forEach((raw, index) => {
      const result = validateEvent(raw, ctx.platform, time);
      if (isInvalid(result)) {
        errors.push({ index, message: result.message });
        outcomes.count(source, "invalid", result.reason, categoryOfLevel(result.level ?? ""));
        return;
      }
      const filter = ctx.filter(result);
      if (filter) {
        filtered++;
        outcomes.count(source, "filtered", filter, categoryOfLevel(result.level));
        return;
      }
      valid.push({
        index,
        event: {
          ...result,
          id: eventId(result.timestamp, ctx.project.id),
          appId: ctx.appId,
          projectId: ctx.project.id,
          apiKeyId: caller.keyId,
          countryCode,
          receivedAt,
        },
      });
    });

    // Checked and counted before anything of the batch is stored (over a limit, nothing is).
    const refusal = await this.quotas.admit(caller, ctx.project, valid.length, mode, receivedAt);
    if (refusal) {
      const error = new ApiError(
        429,
        refusal.message,
        { retry_after: refusal.retryAfter },
        { "retry-after": String(refusal.retryAfter) },
      );
      await refuse(this.writer, source, categories, refusal.outcome, refusal.reason, error);
    }

    const written = await this.writer.submit({
      mode,
      appId: ctx.appId,
      projectId: ctx.project.id,
      keyId: caller.keyId,
      receivedAt,
      events: valid,
      outcomes,
    });
    return {
      accepted: written.accepted,
      rejected: errors.length,
      duplicates: written.duplicates,
      filtered,
      updated: written.updated,
      errors,
    };
  }

  /** An SDK's report of what it dropped before sending: each entry a `client_discard` outcome. */
  async clientReport(caller: KeyCaller, request: Request): Promise<{ recorded: number }> {
    const receivedAt = Date.now();
    const ctx = await this.context(caller);
    const source = { projectId: ctx.project.id, keyId: caller.keyId, receivedAt };
    const body = await this.readBody(request, source);
    const report = tallyClientReport(body, source, this.limits.maxEvents);
    if ("error" in report) {
      return refuse(this.writer, source, ["default"], "invalid", "payload", new ApiError(400, report.error));
    }
    await this.writer.submit(outcomesOnly(report.outcomes));
    return { recorded: report.recorded };
  }

  /** The key's app and project, with the project's filters compiled once per cached project. */
  private async context(caller: KeyCaller): Promise<IngestContext> {
    const ctx = await this.apps.of(caller);
    return { ...ctx, filter: filterOf(ctx.project) };
  }

  private async readBody(request: Request, source: { projectId: string; keyId: string; receivedAt: number }) {
    try {
      return await readJsonBody(request, this.limits.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyError)
        await refuse(this.writer, source, ["default"], "invalid", error.reason, error);
      throw error;
    }
  }

  /** The request as a whole: an object with 1..max events and the app's bundle id. */
  private async checkShape(
    body: unknown,
    ctx: IngestContext,
    mode: "ingest" | "import",
    source: { projectId: string; keyId: string; receivedAt: number },
  ): Promise<unknown[]> {
    const max = mode === "import" ? this.limits.maxImportEvents : this.limits.maxEvents;
    const fail = (message: string, count: number, reason = "payload", status = 400) =>
      refuse(
        this.writer,
        source,
        Array(Math.max(1, count)).fill("default"),
        "invalid",
        reason,
        new ApiError(status, message),
      );
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return fail("The request body must be a JSON object with an events array", 1);
    }
    const { events, bundle_id: bundleId } = body as { events?: unknown; bundle_id?: unknown };
    if (!Array.isArray(events)) return fail(`events is required: an array of 1 to ${max} events`, 1);
    if (events.length === 0) return fail(`events must hold 1 to ${max} events`, 1);
    if (events.length > max)
      return fail(`events must hold 1 to ${max} events, got ${events.length}`, events.length);
    if (ctx.bundleId !== null) {
      if (bundleId === undefined || bundleId === null || bundleId === "") {
        return fail("bundle_id is required for this app", events.length, "bundle_id");
      }
      if (bundleId !== ctx.bundleId) {
        return fail("bundle_id does not match this app", events.length, "bundle_id", 403);
      }
    }
    return events;
  }
}

function levelOf(raw: unknown): string {
  return raw !== null && typeof raw === "object" && typeof (raw as { level?: unknown }).level === "string"
    ? (raw as { level: string }).level
    : "";
}
