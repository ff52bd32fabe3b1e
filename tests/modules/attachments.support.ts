import { expect } from "bun:test";
import { createHash } from "node:crypto";
import type { Roost, Tenant } from "../helpers";

/** What the attachments tests share: the files' hashes and bytes, and a tenant's requests. */
export const sha = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
export const bytesOf = (text: string) => new TextEncoder().encode(text);
export const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** Reserving, uploading and ingesting as `current()`'s tenant (set in the file's beforeAll). */
export function attachmentRequests(current: () => { roost: Roost; t: Tenant }) {
  function reserve(body: Record<string, unknown>, key = current().t.clientKey) {
    return current().roost.call("POST", "/v1/ingest/attachment", { token: key, body });
  }
  const put = (url: string, bytes: Uint8Array, key = current().t.clientKey) =>
    current().roost.call("PUT", pathOf(url), {
      token: key,
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });

  /** Reserve + upload; answers the attachment id. */
  async function attach(clientEventId: string, content: string, over: Record<string, unknown> = {}) {
    const bytes = bytesOf(content);
    const r = await reserve({
      client_event_id: clientEventId,
      original_filename: "crash.log",
      content_type: "text/plain",
      size_bytes: bytes.length,
      sha256: sha(bytes),
      ...over,
    });
    expect(r.status).toBe(201);
    const u = await put(r.body.upload_url, bytes);
    expect(u.status).toBe(200);
    return r.body.attachment_id as string;
  }

  async function ingest(clientEventId: string, tenant = current().t) {
    const r = await current().roost.call("POST", "/v1/ingest", {
      token: tenant.clientKey,
      body: {
        bundle_id: tenant.app.bundle_id,
        events: [
          {
            client_event_id: clientEventId,
            session_id: "s",
            level: "error",
            message: "crashed",
            environment: "ios",
            timestamp: new Date().toISOString(),
          },
        ],
      },
    });
    expect(r.body.accepted).toBe(1);
  }

  async function eventIdOf(clientEventId: string): Promise<string> {
    const r = await current().roost.call("GET", "/v1/events?data_mode=all&limit=200", {
      token: current().t.adminKey,
    });
    const event = r.body.events.find((e: { client_event_id: string }) => e.client_event_id === clientEventId);
    return event.id;
  }

  return { reserve, put, attach, ingest, eventIdOf };
}
