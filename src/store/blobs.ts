import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export interface Received {
  /** The temporary file holding the bytes, until `keep` or `discard`. */
  tmp: string;
  size: number;
  sha256: string;
  /** More than `maxBytes` arrived: reading stopped there. */
  overflow: boolean;
}

/**
 * Attachment bytes, content-addressed: `attachments/<aa>/<bb>/<sha256>`, so identical files are
 * stored once and no name a client sends ever becomes a path. Uploads stream to `incoming/` while
 * their hash and size are computed, and move into place only once both are checked.
 */
export class BlobStore {
  readonly root: string;
  private readonly incoming: string;

  /** `root` is the data directory's `attachments/`, or a cluster's shared directory. */
  constructor(root: string) {
    this.root = root;
    this.incoming = join(this.root, "incoming");
  }

  /** A single Roost's: under its data directory. */
  static of(dataDir: string): BlobStore {
    return new BlobStore(join(dataDir, "attachments"));
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  /**
   * Uploads interrupted by a crash leave partial files behind; none is referenced. With
   * `olderThanMs`, only files not written to for that long go (other processes' uploads in flight).
   */
  clearIncoming(olderThanMs = 0): void {
    if (olderThanMs === 0) {
      rmSync(this.incoming, { recursive: true, force: true });
      return;
    }
    let names: string[];
    try {
      names = readdirSync(this.incoming);
    } catch {
      return;
    }
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const path = join(this.incoming, name);
      try {
        if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
      } catch {
        // Finished (moved into place) or removed by another node meanwhile.
      }
    }
  }

  /** Streams `body` to a temporary file chunk by chunk (never the whole body in memory). */
  async receive(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Received> {
    mkdirSync(this.incoming, { recursive: true });
    const tmp = join(this.incoming, crypto.randomUUID());
    const fd = openSync(tmp, "w", 0o600);
    const hash = createHash("sha256");
    let size = 0;
    let overflow = false;
    try {
      if (body) {
        for await (const chunk of body) {
          size += chunk.byteLength;
          if (size > maxBytes) {
            overflow = true;
            break;
          }
          hash.update(chunk);
          writeSync(fd, chunk);
        }
      }
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(fd);
    return { tmp, size, sha256: hash.digest("hex"), overflow };
  }

  /** Moves a checked upload into place; when the same bytes are already stored, drops the copy. */
  keep(received: Received): void {
    const path = this.pathOf(received.sha256);
    if (existsSync(path)) {
      rmSync(received.tmp, { force: true });
      return;
    }
    mkdirSync(join(path, ".."), { recursive: true });
    renameSync(received.tmp, path);
  }

  discard(received: Received): void {
    rmSync(received.tmp, { force: true });
  }

  remove(sha256: string): void {
    rmSync(this.pathOf(sha256), { force: true });
  }
}
