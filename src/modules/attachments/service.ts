import { publicBase } from "../../lib/dsn";
import { ApiError, badRequest, conflict, forbidden, notFound } from "../../lib/errors";
import { isUuid, newId } from "../../lib/ids";
import type { Logger } from "../../lib/log";
import type { UrlSigner } from "../../lib/signed-url";
import type { Outcome } from "../../lib/vocab";
import type { BlobStore } from "../../store/blobs";
import type { Database, Tx, WriteTx } from "../../store/db";
import { authorize, type Caller, type KeyCaller, teamsWith } from "../access/caller";
import type { AppContexts } from "../apps/context";
import { listApps } from "../apps/repository";
import type { StoredEvent } from "../pipeline/event";
import { OutcomeTally } from "../pipeline/tally";
import type { AttachmentEvents } from "./events";
import type { ReserveBody } from "./model";
import {
  type AttachmentRow,
  attachmentsOfEvent,
  bytesHeld,
  dropReservation,
  findAttachment,
  insertAttachment,
  linkableKeys,
  linkToEvents,
  listAttachments,
  markUploaded,
  softDeleteAttachment,
} from "./repository";

export interface AttachmentLimits {
  /** The largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Where clients reach this server (for the signed URLs); else the request's own origin. */
  publicUrl: string | undefined;
}

const UPLOAD_TTL_MS = 15 * 60_000;
/** An upload whose file has not grown for this long was cut off (its node died). */
const STALE_UPLOAD_MS = 60 * 60_000;
const DOWNLOAD_TTL_MS = 60_000;

/** Executables: refused, by content type or by the file name's extension. */
const DENIED_TYPES = new Set([
  "application/x-msdownload",
  "application/x-msdos-program",
  "application/x-dosexec",
  "application/vnd.microsoft.portable-executable",
  "application/x-executable",
  "application/x-elf",
  "application/x-mach-binary",
  "application/x-sh",
  "application/x-csh",
  "application/x-shellscript",
  "text/x-shellscript",
  "application/x-bat",
  "application/x-msi",
  "application/java-archive",
  "application/x-apple-diskimage",
]);
const DENIED_EXTENSIONS = /\.(exe|com|scr|bat|cmd|msi|dll|sh|csh|ps1|vbs|jar|dmg|pkg|app|elf|so|dylib)$/i;

const isExecutable = (contentType: string, filename: string): boolean =>
  DENIED_TYPES.has(contentType.toLowerCase().split(";")[0]?.trim() ?? "") || DENIED_EXTENSIONS.test(filename);

const linkKey = (appId: string, clientEventId: string) => `${appId}\u0000${clientEventId}`;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentAttachment(row: AttachmentRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_client_id: row.client_event_id,
    app_id: row.app_id,
    project_id: row.project_id,
    user_id: row.user_id,
    original_filename: row.original_filename,
    content_type: row.content_type,
    size_bytes: row.size_bytes,
    sha256: row.sha256,
    is_dev: row.is_dev,
    uploaded_at: iso(row.uploaded_at),
    created_at: row.created_at.toISOString(),
  };
}

/**
 * Files tied to events: reserve, upload (streamed to disk, hash and size checked), list, get with
 * a signed download URL, soft delete; linking to the event by (app, client event id) whichever
 * arrives first; outcomes for every upload accepted or refused; purging bytes nothing references.
 */
export class AttachmentsService {
  /**
   * (app, client event id) of every attachment reserved since start or live at start: the events
   * whose commit must link them, and the only events that can have any.
   */
  private readonly linkable = new Set<string>();

  constructor(
    private readonly store: Database,
    private readonly blobs: BlobStore,
    private readonly signer: UrlSigner,
    private readonly events: AttachmentEvents,
    /** The app and project a client key sends to (cached). */
    private readonly apps: Pick<AppContexts, "of">,
    private readonly limits: AttachmentLimits,
    private readonly log: Logger,
  ) {}

  /** At start: forget uploads a crash interrupted, learn which events attachments wait for. */
  async start(): Promise<void> {
    // A shared directory also holds other nodes' uploads in flight: only stale ones are dropped.
    this.blobs.clearIncoming(this.events.seesEveryReservation ? 0 : STALE_UPLOAD_MS);
    if (!this.events.seesEveryReservation) return;
    for (const row of await linkableKeys(this.store))
      this.linkable.add(linkKey(row.app_id, row.client_event_id));
  }

  async reserve(caller: KeyCaller, body: ReserveBody, request: Request) {
    const now = new Date();
    const { appId, project } = await this.apps.of(caller);
    const projectId = project.id;
    const quota = project.quota.attachment_bytes;
    const disabled = project.status === "disabled";
    const sizeBytes = body.size_bytes;
    const source = { projectId, keyId: caller.keyId, at: now.getTime() };
    const refuse = async (outcome: Outcome, reason: string, error: ApiError) => {
      await this.store.write((tx) => this.recordOutcome(tx, source, outcome, reason, sizeBytes));
      throw error;
    };
    if (disabled) await refuse("abuse", "project_disabled", forbidden("This project is disabled"));
    if (isExecutable(body.content_type, body.original_filename)) {
      await refuse(
        "invalid",
        "content_type",
        new ApiError(
          415,
          `Executable files are not accepted (${body.content_type}, ${body.original_filename})`,
        ),
      );
    }
    if (sizeBytes > this.limits.maxFileBytes) {
      await refuse(
        "invalid",
        "too_large",
        new ApiError(413, `The file is larger than the ${this.limits.maxFileBytes}-byte limit`, {
          code: "file_too_large",
        }),
      );
    }
    // Linking, whichever comes first: the key is known before anything else, so every ingest commit
    // from here on links the event; a commit before that is found by the lookups below.
    this.linkable.add(linkKey(appId, body.client_event_id));
    const eventIdIn = await this.events.lookup({ projectId, appId, clientEventId: body.client_event_id });
    const id = newId();
    const expiresAt = new Date(now.getTime() + UPLOAD_TTL_MS);
    const overQuota = await this.store.write(async (tx) => {
      const held = await bytesHeld(tx, projectId, now);
      if (held + sizeBytes > quota) {
        await this.recordOutcome(tx, source, "rate_limited", "attachment_quota", sizeBytes);
        return held;
      }
      const eventId = await eventIdIn(tx);
      await insertAttachment(tx, {
        id,
        appId,
        projectId,
        apiKeyId: caller.keyId,
        clientEventId: body.client_event_id,
        eventId,
        userId: body.user_id ?? null,
        originalFilename: body.original_filename,
        contentType: body.content_type,
        sizeBytes,
        sha256: body.sha256.toLowerCase(),
        isDev: body.is_dev ?? false,
        createdAt: now,
        expiresAt,
      });
      return null;
    });
    if (overQuota !== null) {
      throw new ApiError(
        413,
        `Attachment quota exhausted: the project holds ${overQuota} of ${quota} bytes; this file needs ${sizeBytes}`,
        { code: "quota_exhausted" },
      );
    }
    return {
      attachment_id: id,
      upload_url: this.url(
        request,
        `/v1/ingest/attachment/${id}/upload`,
        this.signer.sign("upload", id, expiresAt),
      ),
      expires_at: expiresAt.toISOString(),
    };
  }

  async upload(
    caller: KeyCaller,
    id: string,
    query: { expires?: string; signature?: string },
    request: Request,
  ) {
    const refused = this.signer.check("upload", id, query);
    if (refused === "expired") throw forbidden("This upload URL has expired; reserve the attachment again");
    if (refused) throw forbidden("Invalid upload URL signature");
    const row = await findAttachment(this.store, id);
    if (!row) throw notFound("Attachment not found");
    if (row.app_id !== caller.appId) throw forbidden("This attachment belongs to another app");
    if (row.uploaded_at) throw conflict("This attachment has already been uploaded");
    const source = { projectId: row.project_id, keyId: caller.keyId, at: Date.now() };

    const received = await this.blobs.receive(request.body, row.size_bytes);
    const mismatch = received.overflow
      ? `More bytes arrived than the ${row.size_bytes} reserved`
      : received.size !== row.size_bytes
        ? `Size mismatch: ${received.size} bytes arrived, ${row.size_bytes} were reserved`
        : received.sha256 !== row.sha256
          ? `SHA-256 mismatch: the bytes hash to ${received.sha256}, ${row.sha256} was reserved`
          : null;
    if (mismatch) {
      this.blobs.discard(received);
      await this.store.write(async (tx) => {
        await dropReservation(tx, id);
        await this.recordOutcome(
          tx,
          source,
          "invalid",
          received.size === row.size_bytes ? "hash_mismatch" : "size_mismatch",
          row.size_bytes,
        );
      });
      throw badRequest(`${mismatch}. The reservation is dropped; reserve again to retry.`);
    }
    const uploadedAt = new Date();
    const stored = await this.store.write(async (tx) => {
      // Serialised with the purge, which deletes unreferenced bytes inside a write too.
      const current = await findAttachment(tx, id);
      if (!current || current.uploaded_at) return false;
      this.blobs.keep(received);
      await markUploaded(tx, id, uploadedAt);
      await this.recordOutcome(tx, source, "accepted", null, row.size_bytes);
      return true;
    });
    if (!stored) {
      this.blobs.discard(received);
      throw conflict("This attachment has already been uploaded");
    }
    this.log.info("attachment uploaded", { id, bytes: received.size, app_id: row.app_id });
    return { attachment_id: id, size_bytes: received.size, sha256: received.sha256 };
  }

  async list(
    caller: Caller,
    q: { event_id?: string; event_client_id?: string; project_id?: string; cursor?: string; limit?: string },
  ) {
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw badRequest("limit must be a whole number from 1 to 200");
    if (q.cursor !== undefined && !isUuid(q.cursor)) throw badRequest("Invalid cursor");
    const apps = await listApps(this.store, teamsWith(caller, "events:read"), null);
    if (apps.length === 0) return { attachments: [], cursor: null, has_more: false };
    await this.events.link();
    const rows = await listAttachments(this.store, {
      appIds: apps.map((a) => a.id),
      eventId: q.event_id?.toLowerCase(),
      clientEventId: q.event_client_id,
      projectId: q.project_id?.toLowerCase(),
      before: q.cursor?.toLowerCase(),
      limit,
    });
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    return {
      attachments: page.map(presentAttachment),
      cursor: hasMore ? (page.at(-1)?.id ?? null) : null,
      has_more: hasMore,
    };
  }

  async get(caller: Caller, id: string, request: Request) {
    await this.events.link();
    const row = await this.visible(caller, id, "events:read");
    const expiresAt = new Date(Date.now() + DOWNLOAD_TTL_MS);
    return {
      ...presentAttachment(row),
      download_url: this.url(
        request,
        `/v1/attachments/${row.id}/download`,
        this.signer.sign("download", row.id, expiresAt),
      ),
    };
  }

  /** The bytes, for a genuine unexpired download URL: no other credentials. */
  async download(id: string, query: { expires?: string; signature?: string }): Promise<Response> {
    const refused = this.signer.check("download", id, query);
    if (refused === "expired")
      throw forbidden("This download URL has expired; get the attachment again for a new one");
    if (refused) throw forbidden("Invalid download URL signature");
    const row = await findAttachment(this.store, id);
    if (!row?.uploaded_at) throw notFound("Attachment not found");
    const file = Bun.file(this.blobs.pathOf(row.sha256));
    if (!(await file.exists())) throw notFound("Attachment not found");
    return new Response(file, {
      headers: {
        "content-type": row.content_type,
        "content-length": String(row.size_bytes),
        "content-disposition": contentDisposition(row.original_filename),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
        etag: `"${row.sha256}"`,
      },
    });
  }

  async remove(caller: Caller, id: string) {
    const row = await this.visible(caller, id, "org:write");
    await this.store.write((tx) => softDeleteAttachment(tx, row.id, new Date()));
    return { deleted: true as const };
  }

  /**
   * A file that arrives with its event in one request (a Sentry envelope's attachment item):
   * checked as an upload is (type, size, the project's quota), stored, and listed as uploaded. It
   * is linked to its event by the ingest commit that stores the event, which comes after this.
   * Returns the outcome it got (category `attachment`, in bytes).
   */
  async storeWithEvent(file: {
    source: { projectId: string; keyId: string; at: number };
    appId: string;
    /** The project's attachment quota, in bytes. */
    quotaBytes: number;
    clientEventId: string;
    userId: string | null;
    isDev: boolean;
    filename: string;
    contentType: string;
    bytes: Uint8Array;
  }): Promise<Outcome> {
    const { source, bytes } = file;
    const size = bytes.byteLength;
    const refuse = async (outcome: Outcome, reason: string) => {
      await this.store.write((tx) => this.recordOutcome(tx, source, outcome, reason, size));
      return outcome;
    };
    if (isExecutable(file.contentType, file.filename)) return refuse("invalid", "content_type");
    if (size > this.limits.maxFileBytes) return refuse("invalid", "too_large");
    const received = await this.blobs.receive(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size);
    this.linkable.add(linkKey(file.appId, file.clientEventId));
    const now = new Date();
    const outcome = await this.store.write(async (tx): Promise<Outcome> => {
      if ((await bytesHeld(tx, source.projectId, now)) + size > file.quotaBytes) {
        await this.recordOutcome(tx, source, "rate_limited", "attachment_quota", size);
        return "rate_limited";
      }
      this.blobs.keep(received);
      await insertAttachment(tx, {
        id: newId(),
        appId: file.appId,
        projectId: source.projectId,
        apiKeyId: source.keyId,
        clientEventId: file.clientEventId,
        eventId: null,
        userId: file.userId,
        originalFilename: file.filename,
        contentType: file.contentType,
        sizeBytes: size,
        sha256: received.sha256,
        isDev: file.isDev,
        createdAt: now,
        expiresAt: now,
        uploadedAt: now,
      });
      await this.recordOutcome(tx, source, "accepted", null, size);
      return "accepted";
    });
    if (outcome !== "accepted") this.blobs.discard(received);
    return outcome;
  }

  /** The uploaded attachments of one event, as `GET /v1/events/:id` shows them. */
  async ofEvent(appId: string, clientEventId: string) {
    // Every live attachment's key is in `linkable` (a superset: deletions do not shrink it), so
    // most events, which have none, cost no query.
    if (this.events.seesEveryReservation && !this.linkable.has(linkKey(appId, clientEventId))) return [];
    const rows = await attachmentsOfEvent(this.store, appId, clientEventId);
    return rows.map((r) => ({
      id: r.id,
      original_filename: r.original_filename,
      content_type: r.content_type,
      size_bytes: r.size_bytes,
      uploaded_at: (r.uploaded_at as Date).toISOString(),
    }));
  }

  /** In an ingest commit: point waiting attachments at the events this commit stores. */
  async linkEvents(tx: WriteTx, events: readonly StoredEvent[]): Promise<void> {
    if (this.linkable.size === 0) return;
    const links = events
      .filter((e) => this.linkable.has(linkKey(e.appId, e.clientEventId)))
      .map((e) => ({ appId: e.appId, clientEventId: e.clientEventId, eventId: e.id }));
    if (links.length > 0) await linkToEvents(tx, links);
  }

  private async visible(caller: Caller, id: string, permission: "events:read" | "org:write") {
    const missing = () => notFound("Attachment not found");
    if (!isUuid(id)) throw missing();
    const row = await findAttachment(this.store, id.toLowerCase());
    if (!row?.uploaded_at) throw missing();
    authorize(caller, row.team_id, permission, missing);
    return row;
  }

  private async recordOutcome(
    tx: Tx,
    source: { projectId: string; keyId: string; at: number },
    outcome: Outcome,
    reason: string | null,
    bytes: number,
  ): Promise<void> {
    const tally = new OutcomeTally();
    tally.add({ ...source, outcome, reason, category: "attachment", quantity: bytes, timesSeen: 1 });
    await this.events.count(tx, tally.list());
  }

  private url(request: Request, path: string, query: string): string {
    const base = publicBase(this.limits.publicUrl, request);
    return `${base.replace(/\/+$/, "")}${path}?${query}`;
  }
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
