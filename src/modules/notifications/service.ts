import { randomBytes } from "node:crypto";
import { badRequest, notFound } from "../../lib/errors";
import { isUuid, newId } from "../../lib/ids";
import type { Database, SharedWriter, Tx } from "../../store/db";
import type { Caller } from "../access/caller";
import { projectFor } from "../projects/scope";
import {
  type DeliveryRow,
  type DestinationRow,
  deleteDestination,
  deliveriesOf,
  destinationsOf,
  findDestination,
  insertDestination,
  NOTIFICATION_EVENTS,
  type NotificationEvent,
} from "./repository";

/** A project's notification destinations (webhooks) and their delivery log. */
export class NotificationsService {
  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    /** Whether the server can send mail (ROOST_SMTP_URL): e-mail destinations need it. */
    private readonly mail: boolean,
  ) {}

  async list(caller: Caller, projectId: string) {
    await this.project(caller, projectId, "issues:read");
    const rows = await this.store.snapshot((tx) => destinationsOf(tx, projectId.toLowerCase()));
    return { destinations: rows.map(present) };
  }

  async create(
    caller: Caller,
    projectId: string,
    body: { url?: unknown; email?: unknown; events?: unknown },
  ) {
    const project = await this.project(caller, projectId, "issues:write");
    const target = this.targetOf(body);
    const events = eventsOf(body.events);
    const row: DestinationRow = {
      id: newId(),
      project_id: project.id,
      ...target,
      secret: `whsec_${randomBytes(24).toString("hex")}`,
      events,
      last_digest_at: null,
      created_at: new Date(),
    };
    await this.writer.run(async () => (tx) => insertDestination(tx, row));
    return { ...present(row), secret: row.secret };
  }

  async remove(caller: Caller, projectId: string, destinationId: string) {
    await this.project(caller, projectId, "issues:write");
    await this.writer.run(async (tx) => {
      const row = await this.live(tx, projectId, destinationId);
      return (tx) => deleteDestination(tx, row.id, new Date());
    });
    return { deleted: true as const };
  }

  async deliveries(caller: Caller, projectId: string, destinationId: string) {
    await this.project(caller, projectId, "issues:read");
    return this.store.snapshot(async (tx) => {
      const row = await this.live(tx, projectId, destinationId);
      return { deliveries: (await deliveriesOf(tx, row.id, 100)).map(presentDelivery) };
    });
  }

  /** A webhook's URL, or an e-mail address (kept as a mailto: URL). */
  private targetOf(body: { url?: unknown; email?: unknown }): Pick<DestinationRow, "kind" | "url"> {
    if ((body.url === undefined) === (body.email === undefined))
      throw badRequest("Give url (a webhook) or email");
    if (body.url !== undefined) return { kind: "webhook", url: webhookUrl(body.url) };
    if (!this.mail) throw badRequest("email destinations need the server to have ROOST_SMTP_URL set");
    if (typeof body.email !== "string" || !EMAIL.test(body.email) || body.email.length > 320) {
      throw badRequest("email must be a valid address");
    }
    return { kind: "email", url: `mailto:${body.email}` };
  }

  private async live(tx: Tx, projectId: string, destinationId: string) {
    const row = isUuid(destinationId)
      ? await findDestination(tx, projectId.toLowerCase(), destinationId.toLowerCase())
      : null;
    if (!row) throw notFound("Destination not found");
    return row;
  }

  private project(caller: Caller, projectId: string, permission: "issues:read" | "issues:write") {
    return projectFor(this.store, caller, projectId, permission);
  }
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function webhookUrl(value: unknown): string {
  if (typeof value !== "string" || value.length > 2048) throw badRequest("url must be an http or https URL");
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return url.toString();
  } catch {}
  throw badRequest("url must be an http or https URL");
}

function eventsOf(value: unknown): NotificationEvent[] {
  if (value === undefined || value === null) return [...NOTIFICATION_EVENTS];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((v) => !(NOTIFICATION_EVENTS as readonly unknown[]).includes(v)) ||
    new Set(value).size !== value.length
  ) {
    throw badRequest(`events must be a list of distinct values from ${NOTIFICATION_EVENTS.join(", ")}`);
  }
  return value as NotificationEvent[];
}

function present(row: DestinationRow) {
  return {
    id: row.id,
    project_id: row.project_id,
    kind: row.kind,
    url: row.url,
    email: row.kind === "email" ? row.url.slice("mailto:".length) : null,
    events: row.events,
    last_digest_at: row.last_digest_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

function presentDelivery(row: DeliveryRow) {
  const state = row.delivered_at ? "delivered" : row.failed_at ? "failed" : "pending";
  return {
    id: row.id,
    event: row.event,
    state: state as "pending" | "delivered" | "failed",
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    next_attempt_at: state === "pending" ? row.next_attempt_at.toISOString() : null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}
