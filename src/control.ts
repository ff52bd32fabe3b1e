import { chmodSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./lib/log";
import { BackupError, type BackupManifest } from "./store/backup";

/** The running server's control socket in its data directory: `roost backup` reaches it there. */
export const controlSocket = (dataDir: string): string => join(dataDir, "control.sock");

/**
 * A Unix socket only the data directory's owner can open (mode 0600): a command line on the same
 * machine asks the running server for a backup through it, since the database is the server's
 * alone while it runs. No port, no credentials: reaching the socket is the permission.
 */
export function serveControl(dataDir: string, backup: (dir: string) => Promise<BackupManifest>, log: Logger) {
  const path = controlSocket(dataDir);
  if (existsSync(path)) rmSync(path); // left by a server that died
  const server = Bun.serve({
    unix: path,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || url.pathname !== "/backup")
        return Response.json({ error: "Not found" }, { status: 404 });
      const { dir } = (await request.json().catch(() => ({}))) as { dir?: unknown };
      if (typeof dir !== "string" || dir === "")
        return Response.json({ error: "dir is required" }, { status: 400 });
      const started = performance.now();
      try {
        const manifest = await backup(dir);
        log.info("backup", {
          dir,
          files: manifest.files.length,
          events: manifest.events,
          ms: Math.round(performance.now() - started),
        });
        return Response.json(manifest);
      } catch (error) {
        if (error instanceof BackupError) return Response.json({ error: error.message }, { status: 400 });
        log.error("backup failed", { dir, error: String(error) });
        return Response.json({ error: `backup failed: ${String(error)}` }, { status: 500 });
      }
    },
  });
  chmodSync(path, 0o600);
  return {
    stop() {
      server.stop(true);
      rmSync(path, { force: true });
    },
  };
}
