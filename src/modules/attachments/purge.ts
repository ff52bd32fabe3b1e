import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { BlobStore } from "../../store/blobs";
import type { Database } from "../../store/db";
import { dropExpired, referencedHashes } from "./repository";

/**
 * Storage job step: drops expired reservations and attachments past retention or of deleted
 * projects, then deletes the bytes no live attachment references. The directory is listed before
 * the write, so ingest is not held up while it is walked; the check and the deletion happen inside
 * one write, and an upload moves its bytes into place and records them inside a write too, so
 * bytes listed here that an upload has since claimed are seen as referenced and kept. On a cluster
 * the writes of every node are serialised by the control plane's write lock, so this holds there.
 */
export function purgeAttachments(store: Database, blobs: BlobStore, now = new Date()) {
  const stored = [...storedHashes(blobs.root)];
  return store.write(async (tx) => {
    const rows = await dropExpired(tx, now);
    const needed = await referencedHashes(tx);
    let files = 0;
    for (const sha of stored) {
      if (needed.has(sha)) continue;
      blobs.remove(sha);
      files++;
    }
    return { rows, files };
  });
}

function* storedHashes(root: string): Generator<string> {
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const a of list(root)) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of list(join(root, a))) {
      for (const sha of list(join(root, a, b))) if (/^[0-9a-f]{64}$/.test(sha)) yield sha;
    }
  }
}
