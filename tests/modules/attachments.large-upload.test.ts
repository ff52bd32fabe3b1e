import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  firstRunKeys,
  killServersAfterAll,
  type RunningServer,
  startServer,
  stopServer,
  tempDir,
} from "../support/server";

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const CHUNK = MiB;

const dir = tempDir("roost-upload-");
let server: RunningServer | undefined;
afterAll(async () => {
  if (server) await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes, made a chunk at a time: the test never holds the file either. */
function chunk(i: number): Uint8Array {
  const bytes = new Uint8Array(CHUNK);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < CHUNK; j += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[j] = x & 255;
    bytes[j + 1] = (x >>> 8) & 255;
    bytes[j + 2] = (x >>> 16) & 255;
    bytes[j + 3] = x >>> 24;
  }
  return bytes;
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;

test("a 200 MiB upload streams to disk: the server's RSS grows by under 64 MiB", async () => {
  server = await startServer(dir, {
    ROOST_ATTACHMENT_MAX_BYTES: String(256 * MiB),
    ROOST_LOG_LEVEL: "silent",
  });
  const { client } = firstRunKeys(server.startup);
  const hash = createHash("sha256");
  for (let i = 0; i < SIZE / CHUNK; i++) hash.update(chunk(i));
  const sha256 = hash.digest("hex");
  const headers = { authorization: `Bearer ${client}`, "content-type": "application/json" };
  const reserved = await fetch(`${server.base}/v1/ingest/attachment`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      client_event_id: "big-1",
      original_filename: "core.dump",
      content_type: "application/octet-stream",
      size_bytes: SIZE,
      sha256,
    }),
  });
  expect(reserved.status).toBe(201);
  const { upload_url } = (await reserved.json()) as { upload_url: string };

  const pid = server.child.pid;
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 20);
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === SIZE / CHUNK) controller.close();
      else controller.enqueue(chunk(i++));
    },
  });
  const uploaded = await fetch(upload_url.replace(/^http:\/\/[^/]+/, server.base), {
    method: "PUT",
    headers: { authorization: `Bearer ${client}`, "content-type": "application/octet-stream" },
    body,
  });
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  expect(uploaded.status).toBe(200);
  expect(await uploaded.json()).toMatchObject({ size_bytes: SIZE, sha256 });
  const stored = join(dir, "attachments", sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  expect(statSync(stored).size).toBe(SIZE);
  console.log(`rss before ${Math.round(before / MiB)} MiB, peak ${Math.round(peak / MiB)} MiB`);
  expect(peak - before).toBeLessThan(64 * MiB);
}, 120_000);

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
