import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UrlSigner } from "../../src/lib/signed-url";
import { purgeAttachments } from "../../src/modules/attachments/purge";
import type { BlobStore } from "../../src/store/blobs";
import { type Reply, type Roost, startRoost, type Tenant } from "../helpers";
import { attachmentRequests, bytesOf, pathOf, sha } from "./attachments.support";

let roost: Roost;
let t: Tenant;
let stranger: Tenant;
let blobs: BlobStore;
let signer: UrlSigner;

beforeAll(async () => {
  roost = await startRoost({ attachments: { maxFileBytes: 1_000_000 } });
  t = await roost.tenant("Files");
  stranger = await roost.tenant("Stranger");
  blobs = roost.blobs;
  signer = new UrlSigner(await roost.secret());
});
afterAll(() => roost.close());

const storedFiles = () =>
  existsSync(blobs.root)
    ? (readdirSync(blobs.root, { recursive: true }) as string[]).filter((f) => /[0-9a-f]{64}$/.test(f))
    : [];
const { reserve, put, attach, ingest, eventIdOf } = attachmentRequests(() => ({ roost, t }));

/** A project's attachment outcomes, from whichever store holds them. */
const attachmentOutcomes = async (projectId = t.project.id) =>
  (await roost.outcomes(projectId))
    .filter((o) => o.category === "attachment")
    .map(({ outcome, reason, quantity, times_seen }) => ({ outcome, reason, quantity, times_seen }));

describe("reserve, upload, read back", () => {
  test("the whole path: event detail, listing, download with the same bytes and headers, outcome", async () => {
    await ingest("crash-1");
    const content = "Thread 0 crashed\nat main()\n";
    const r = await reserve({
      client_event_id: "crash-1",
      user_id: "u-1",
      original_filename: 'crash ünïcode "1".log',
      content_type: "text/plain",
      size_bytes: bytesOf(content).length,
      sha256: sha(content).toUpperCase(),
    });
    expect(r.status).toBe(201);
    expect(r.body.upload_url).toStartWith(
      `http://localhost/v1/ingest/attachment/${r.body.attachment_id}/upload?`,
    );
    const expires = Date.parse(r.body.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(14 * 60_000);
    expect(expires).toBeLessThanOrEqual(15 * 60_000);

    const u = await put(r.body.upload_url, bytesOf(content));
    expect(u.status).toBe(200);
    expect(u.body).toEqual({
      attachment_id: r.body.attachment_id,
      size_bytes: bytesOf(content).length,
      sha256: sha(content),
    });

    const eventId = await eventIdOf("crash-1");
    const detail = await roost.call("GET", `/v1/events/${eventId}`, { token: t.adminKey });
    expect(detail.body.attachments).toEqual([
      {
        id: r.body.attachment_id,
        original_filename: 'crash ünïcode "1".log',
        content_type: "text/plain",
        size_bytes: bytesOf(content).length,
        uploaded_at: expect.any(String),
      },
    ]);

    const list = await roost.call("GET", `/v1/attachments?event_id=${eventId}`, { token: t.adminKey });
    expect(list.status).toBe(200);
    expect(list.body.attachments).toHaveLength(1);
    expect(list.body.attachments[0]).toMatchObject({
      id: r.body.attachment_id,
      event_id: eventId,
      event_client_id: "crash-1",
      user_id: "u-1",
      size_bytes: bytesOf(content).length,
      sha256: sha(content),
      is_dev: false,
    });

    const one = await roost.call("GET", `/v1/attachments/${r.body.attachment_id}`, { token: t.adminKey });
    expect(one.status).toBe(200);
    const download = await roost.app.handle(new Request(one.body.download_url));
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(content);
    expect(download.headers.get("content-type")).toStartWith("text/plain");
    expect(download.headers.get("content-length")).toBe(String(bytesOf(content).length));
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="crash _n_code _1_.log"; filename*=UTF-8''${encodeURIComponent('crash ünïcode "1".log')}`,
    );
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");

    expect(await attachmentOutcomes()).toEqual([
      { outcome: "accepted", reason: null, quantity: bytesOf(content).length, times_seen: 1 },
    ]);
  });

  test("an attachment that arrives before its event links when the event comes", async () => {
    const id = await attach("early-1", "early bytes");
    const before = await roost.call("GET", `/v1/attachments/${id}`, { token: t.adminKey });
    expect(before.body.event_id).toBeNull();
    await ingest("early-1");
    const eventId = await eventIdOf("early-1");
    const after = await roost.call("GET", `/v1/attachments/${id}`, { token: t.adminKey });
    expect(after.body.event_id).toBe(eventId);
    const detail = await roost.call("GET", `/v1/events/${eventId}`, { token: t.adminKey });
    expect(detail.body.attachments.map((a: { id: string }) => a.id)).toEqual([id]);
  });

  test("identical bytes are stored once", async () => {
    const before = storedFiles().length;
    const a = await attach("same-1", "the very same bytes");
    const b = await attach("same-2", "the very same bytes");
    expect(a).not.toBe(b);
    expect(storedFiles().length).toBe(before + 1);
    expect(storedFiles()).toContain(
      join(
        sha("the very same bytes").slice(0, 2),
        sha("the very same bytes").slice(2, 4),
        sha("the very same bytes"),
      ),
    );
  });

  test("listing pages newest first through the cursor, and filters by event_client_id and project", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await attach(`page-${i}`, `page ${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Reply = await roost.call(
        "GET",
        `/v1/attachments?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        {
          token: t.adminKey,
        },
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.attachments.map((a: { id: string }) => a.id));
      cursor = r.body.cursor;
      expect(r.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    const one = await roost.call("GET", "/v1/attachments?event_client_id=page-3", { token: t.adminKey });
    expect(one.body.attachments.map((a: { id: string }) => a.id)).toEqual([ids[3]]);
    const project = await roost.call("GET", `/v1/attachments?project_id=${t.project.id}&limit=200`, {
      token: t.adminKey,
    });
    expect(project.body.attachments.length).toBe(seen.length);
  });
});

describe("refusals", () => {
  const good = (over: Record<string, unknown> = {}) => ({
    client_event_id: "r-1",
    original_filename: "a.txt",
    content_type: "text/plain",
    size_bytes: 5,
    sha256: sha("hello"),
    ...over,
  });

  test.each([
    [{ sha256: "abc" }, "sha256 must be 64 hexadecimal characters"],
    [{ size_bytes: -1 }, "size_bytes must be a whole number of bytes, 0 or more"],
    [{ size_bytes: 1.5 }, "size_bytes must be a whole number of bytes, 0 or more"],
    [{ original_filename: "" }, "original_filename must be a string of 1 to 255 characters"],
    [{ original_filename: "x".repeat(256) }, "original_filename must be a string of 1 to 255 characters"],
    [{ content_type: "plain" }, "content_type must be a media type such as text/plain"],
    [{ client_event_id: "" }, "client_event_id must be a string of 1 to 255 characters"],
  ])("%o → 400 %s", async (over, message) => {
    const r = await reserve(good(over));
    expect(r.status).toBe(400);
    expect(r.body.error).toContain(message);
  });

  test("executable types and names → 415, counted invalid", async () => {
    for (const over of [
      { content_type: "application/x-msdownload" },
      { content_type: "application/x-sh" },
      { original_filename: "setup.EXE", content_type: "application/octet-stream" },
    ]) {
      const r = await reserve(good(over));
      expect(r.status).toBe(415);
      expect(r.body.error).toStartWith("Executable files are not accepted");
    }
    expect(await attachmentOutcomes()).toContainEqual({
      outcome: "invalid",
      reason: "content_type",
      quantity: 15,
      times_seen: 3,
    });
  });

  test("larger than the per-file cap → 413 file_too_large", async () => {
    const r = await reserve(good({ size_bytes: 1_000_001 }));
    expect(r.status).toBe(413);
    expect(r.body).toEqual({
      error: "The file is larger than the 1000000-byte limit",
      code: "file_too_large",
    });
  });

  test("over the project's byte quota → 413 quota_exhausted, counted rate_limited", async () => {
    const u = await roost.tenant("Quota");
    const patched = await roost.call("PATCH", `/v1/projects/${u.project.id}`, {
      token: u.token,
      body: { quota: { attachment_bytes: 100 } },
    });
    expect(patched.status).toBe(200);
    const first = await reserve(good({ size_bytes: 60 }), u.clientKey);
    expect(first.status).toBe(201);
    // The open reservation holds its bytes, so a second one cannot overrun the quota meanwhile.
    const second = await reserve(good({ size_bytes: 60 }), u.clientKey);
    expect(second.status).toBe(413);
    expect(second.body).toEqual({
      error: "Attachment quota exhausted: the project holds 60 of 100 bytes; this file needs 60",
      code: "quota_exhausted",
    });
    expect(await attachmentOutcomes(u.project.id)).toEqual([
      { outcome: "rate_limited", reason: "attachment_quota", quantity: 60, times_seen: 1 },
    ]);
  });

  test("size or hash mismatch → 400, nothing kept, the reservation dropped", async () => {
    const files = storedFiles().length;
    for (const [declared, sent, message] of [
      ["hello", "hello!", "More bytes arrived than the 5 reserved"],
      ["hello", "hell", "Size mismatch: 4 bytes arrived, 5 were reserved"],
      ["hello", "jello", `SHA-256 mismatch: the bytes hash to ${sha("jello")}, ${sha("hello")} was reserved`],
    ] as const) {
      const r = await reserve(good({ size_bytes: declared.length, sha256: sha(declared) }));
      const u = await put(r.body.upload_url, bytesOf(sent));
      expect(u.status).toBe(400);
      expect(u.body.error).toBe(`${message}. The reservation is dropped; reserve again to retry.`);
      expect((await put(r.body.upload_url, bytesOf(declared))).status).toBe(404);
    }
    expect(storedFiles().length).toBe(files);
    expect(existsSync(join(blobs.root, "incoming")) ? readdirSync(join(blobs.root, "incoming")) : []).toEqual(
      [],
    );
    const outcomes = await attachmentOutcomes();
    expect(outcomes).toContainEqual({
      outcome: "invalid",
      reason: "size_mismatch",
      quantity: 10,
      times_seen: 2,
    });
    expect(outcomes).toContainEqual({
      outcome: "invalid",
      reason: "hash_mismatch",
      quantity: 5,
      times_seen: 1,
    });
  });

  test("a second upload → 409", async () => {
    const r = await reserve(good());
    expect((await put(r.body.upload_url, bytesOf("hello"))).status).toBe(200);
    const again = await put(r.body.upload_url, bytesOf("hello"));
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("This attachment has already been uploaded");
  });

  test("another app's key → 403; no key → 401; an agent key → 403", async () => {
    const r = await reserve(good());
    const other = await put(r.body.upload_url, bytesOf("hello"), stranger.clientKey);
    expect(other.status).toBe(403);
    expect(other.body.error).toBe("This attachment belongs to another app");
    expect((await roost.call("PUT", pathOf(r.body.upload_url), { body: bytesOf("hello") })).status).toBe(401);
    const agent = await put(r.body.upload_url, bytesOf("hello"), t.adminKey);
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBe("Missing permission: events:write");
  });

  test("an expired or tampered upload URL → 403; unknown attachment → 404", async () => {
    const r = await reserve(good());
    const id = r.body.attachment_id;
    const expired = `/v1/ingest/attachment/${id}/upload?${signer.sign("upload", id, new Date(Date.now() - 1000))}`;
    const e = await put(`http://localhost${expired}`, bytesOf("hello"));
    expect(e.status).toBe(403);
    expect(e.body.error).toBe("This upload URL has expired; reserve the attachment again");
    const url = new URL(r.body.upload_url);
    const signature = url.searchParams.get("signature") as string;
    url.searchParams.set("signature", `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`);
    expect((await put(url.toString(), bytesOf("hello"))).body).toEqual({
      error: "Invalid upload URL signature",
    });
    const later = new URL(r.body.upload_url);
    later.searchParams.set("expires", String(Number(later.searchParams.get("expires")) + 3600));
    expect((await put(later.toString(), bytesOf("hello"))).status).toBe(403);
    // A download signature does not open an upload.
    const download = `/v1/ingest/attachment/${id}/upload?${signer.sign("download", id, new Date(Date.now() + 60_000))}`;
    expect((await put(`http://localhost${download}`, bytesOf("hello"))).status).toBe(403);
    const unknown = crypto.randomUUID();
    const u = await put(
      `http://localhost/v1/ingest/attachment/${unknown}/upload?${signer.sign("upload", unknown, new Date(Date.now() + 60_000))}`,
      bytesOf("hello"),
    );
    expect(u.status).toBe(404);
    expect(u.body.error).toBe("Attachment not found");
  });

  test("an expired or tampered download URL → 403", async () => {
    const id = await attach("dl-1", "download me");
    const expired = await roost.call(
      "GET",
      `/v1/attachments/${id}/download?${signer.sign("download", id, new Date(Date.now() - 1))}`,
    );
    expect(expired.status).toBe(403);
    expect(expired.body.error).toBe("This download URL has expired; get the attachment again for a new one");
    const other = await attach("dl-2", "another file");
    const swapped = await roost.call(
      "GET",
      `/v1/attachments/${other}/download?${signer.sign("download", id, new Date(Date.now() + 60_000))}`,
    );
    expect(swapped.status).toBe(403);
    expect(swapped.body.error).toBe("Invalid download URL signature");
    expect((await roost.call("GET", `/v1/attachments/${id}/download`)).status).toBe(403);
  });
});

describe("access", () => {
  test("no credentials 401; a client key may not read 403; another team's attachment is invisible", async () => {
    const id = await attach("acc-1", "private");
    expect((await roost.call("GET", "/v1/attachments")).status).toBe(401);
    expect((await roost.call("GET", `/v1/attachments/${id}`)).status).toBe(401);
    const client = await roost.call("GET", "/v1/attachments", { token: t.clientKey });
    expect(client.status).toBe(403);
    expect(client.body.error).toBe("Missing permission: events:read");
    const foreign = await roost.call("GET", `/v1/attachments/${id}`, { token: stranger.adminKey });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toBe("Attachment not found");
    const list = await roost.call("GET", "/v1/attachments?limit=200", { token: stranger.adminKey });
    expect(list.body.attachments).toEqual([]);
    expect((await roost.call("DELETE", `/v1/attachments/${id}`, { token: stranger.adminKey })).status).toBe(
      404,
    );
    expect((await roost.call("GET", "/v1/attachments/not-a-uuid", { token: t.adminKey })).status).toBe(404);
  });

  test("bad list parameters → 400", async () => {
    for (const [q, message] of [
      ["limit=0", "limit must be a whole number from 1 to 200"],
      ["cursor=zzz", "Invalid cursor"],
      ["event_id=nope", "event_id must be a UUID"],
      ["project_id=nope", "project_id must be a UUID"],
    ]) {
      const r = await roost.call("GET", `/v1/attachments?${q}`, { token: t.adminKey });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(message);
    }
  });
});

describe("deletion, retention and purge", () => {
  test("soft delete hides it everywhere; purge deletes bytes nothing else references", async () => {
    await ingest("del-1");
    const shared = await attach("del-1", "shared bytes");
    const keeper = await attach("keep-1", "shared bytes");
    const lonely = await attach("del-1", "lonely bytes");
    const read = await roost.call("GET", `/v1/attachments/${lonely}`, { token: t.adminKey });
    const d = await roost.call("DELETE", `/v1/attachments/${lonely}`, { token: t.adminKey });
    expect(d.body).toEqual({ deleted: true });
    await roost.call("DELETE", `/v1/attachments/${shared}`, { token: t.adminKey });
    expect((await roost.call("GET", `/v1/attachments/${lonely}`, { token: t.adminKey })).status).toBe(404);
    const detail = await roost.call("GET", `/v1/events/${await eventIdOf("del-1")}`, { token: t.adminKey });
    expect(detail.body.attachments).toEqual([]);
    expect((await roost.app.handle(new Request(read.body.download_url))).status).toBe(404);

    const purged = await purgeAttachments(roost.store, blobs);
    expect(purged.files).toBeGreaterThanOrEqual(1);
    expect(blobs.has(sha("lonely bytes"))).toBe(false);
    expect(blobs.has(sha("shared bytes"))).toBe(true); // `keeper` still needs them
    const kept = await roost.call("GET", `/v1/attachments/${keeper}`, { token: t.adminKey });
    expect(await (await roost.app.handle(new Request(kept.body.download_url))).text()).toBe("shared bytes");
  });

  test("a deleted project's attachments and bytes go; a client key cannot delete", async () => {
    const u = await roost.tenant("Gone");
    const bytes = bytesOf("doomed project file");
    const r = await reserve(
      {
        client_event_id: "g-1",
        original_filename: "g.txt",
        content_type: "text/plain",
        size_bytes: bytes.length,
        sha256: sha(bytes),
      },
      u.clientKey,
    );
    expect((await put(r.body.upload_url, bytes, u.clientKey)).status).toBe(200);
    expect(
      (await roost.call("DELETE", `/v1/attachments/${r.body.attachment_id}`, { token: u.clientKey })).status,
    ).toBe(403);
    expect((await roost.call("DELETE", `/v1/projects/${u.project.id}`, { token: u.token })).status).toBe(200);
    const purged = await purgeAttachments(roost.store, blobs);
    expect(purged.rows).toBeGreaterThanOrEqual(1);
    expect(blobs.has(sha(bytes))).toBe(false);
    expect(
      await roost.store.read("SELECT count(*) AS n FROM attachments WHERE project_id = ?::UUID", [
        u.project.id,
      ]),
    ).toEqual([{ n: 0 }]);
  });
});

describe("retention", () => {
  test("attachments older than the project's retention go, with their bytes; an unused reservation expires", async () => {
    const old = await attach("old-1", "bytes from long ago");
    const young = await attach("young-1", "bytes from today");
    const pending = await reserve({
      client_event_id: "never-1",
      original_filename: "n.txt",
      content_type: "text/plain",
      size_bytes: 3,
      sha256: sha("abc"),
    });
    await roost.store.run(
      "UPDATE attachments SET created_at = now() - INTERVAL '91 days' WHERE id = ?::UUID",
      [old],
    );
    const afterExpiry = new Date(Date.now() + 16 * 60_000);
    await purgeAttachments(roost.store, blobs, afterExpiry);
    expect(blobs.has(sha("bytes from long ago"))).toBe(false);
    expect(blobs.has(sha("bytes from today"))).toBe(true);
    const left = await roost.store.read<{ id: string }>(
      "SELECT id::VARCHAR AS id FROM attachments WHERE list_contains(?::JSON::UUID[], id)",
      [[old, young, pending.body.attachment_id]],
    );
    expect(left).toEqual([{ id: young }]);
  });
});

describe("stats", () => {
  test("stats_v2 shows attachment bytes and files", async () => {
    const u = await roost.tenant("Counted");
    for (const content of ["abc", "defgh"]) {
      const bytes = bytesOf(content);
      const r = await reserve(
        {
          client_event_id: content,
          original_filename: "f",
          content_type: "text/plain",
          size_bytes: bytes.length,
          sha256: sha(bytes),
        },
        u.clientKey,
      );
      expect((await put(r.body.upload_url, bytes, u.clientKey)).status).toBe(200);
    }
    const r = await roost.call(
      "GET",
      `/api/0/organizations/${u.team.slug}/stats_v2/?field=sum(quantity)&field=sum(times_seen)&category=attachment&statsPeriod=1h&interval=1h`,
      { token: u.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.groups).toHaveLength(1);
    expect(r.body.groups[0].totals).toEqual({ "sum(quantity)": 8, "sum(times_seen)": 2 });
  });
});
