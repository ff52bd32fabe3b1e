import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Tx } from "../db";
import { type LiveFile, liveFiles } from "../manifest";
import { ensureLocal } from "./cache";
import { addToManifest, partitionDir, retireFiles, writeParquet } from "./files";
import { EVENT_FILE_COLUMNS, FORMAT_TAG, readEventFiles } from "./format";
import { SORT, statsOf } from "./partitions";

const HOUR_MS = 3_600_000;

/** A stored copy an import replaces. */
export interface ReplacedCopy {
  client_event_id: string;
  id: string;
  timestamp: Date;
}

/**
 * Removes the sealed copies of an app's events that an import replaces (spec: an import updates an
 * existing event in place): every lake file holding one is written again without it, in the
 * caller's transaction (the import's commit), so the old copy and its replacement are never both
 * visible. The partitions of `hours` (the new copies' times: a correction keeps its time) are
 * searched first, then the project's other files for ids not found there. Returns the removed
 * copies (their ids and times).
 */
export async function removeSealedCopies(
  tx: Tx,
  dataDir: string,
  projectId: string,
  appId: string,
  clientEventIds: readonly string[],
  hours: readonly number[],
): Promise<ReplacedCopy[]> {
  if (clientEventIds.length === 0) return [];
  const files = (await liveFiles(tx, dataDir)).filter((f) => f.projectId === projectId);
  const hinted = new Set(hours.map((ms) => Math.floor(ms / HOUR_MS) * HOUR_MS));
  const found = await copiesIn(
    tx,
    dataDir,
    files.filter((f) => hinted.has(f.hour)),
    appId,
    clientEventIds,
  );
  const seen = new Set(found.map((c) => c.client_event_id));
  const rest = clientEventIds.filter((id) => !seen.has(id));
  if (rest.length > 0)
    found.push(
      ...(await copiesIn(
        tx,
        dataDir,
        files.filter((f) => !hinted.has(f.hour)),
        appId,
        rest,
      )),
    );
  const byFile = new Map<string, ReplacedCopy[]>();
  for (const { file, ...copy } of found) byFile.set(file, [...(byFile.get(file) ?? []), copy]);
  for (const [path, copies] of byFile) {
    await rewriteWithout(tx, dataDir, files.find((f) => f.path === path) as LiveFile, appId, copies);
  }
  return found.map(({ file: _, ...copy }) => copy);
}

/** The copies of these ids in these files, with the file each is in. */
async function copiesIn(
  tx: Tx,
  dataDir: string,
  files: readonly LiveFile[],
  appId: string,
  clientEventIds: readonly string[],
): Promise<Array<ReplacedCopy & { file: string }>> {
  if (files.length === 0) return [];
  await ensureLocal(
    dataDir,
    files.map((f) => f.path),
  );
  const source = readEventFiles(
    files.map((f) => join(dataDir, f.path)),
    "filename = true",
  );
  const rows = await tx.all<ReplacedCopy & { file: string }>(
    `SELECT filename AS file, client_event_id, id::VARCHAR AS id, timestamp FROM (${source.sql})
     WHERE app_id = ?::UUID AND client_event_id IN (SELECT unnest(?::JSON::VARCHAR[]))`,
    [...source.params, appId, clientEventIds],
  );
  return rows.map((r) => ({ ...r, file: r.file.slice(dataDir.length + 1) }));
}

/** The file written again without the given copies (or retired, when nothing else is left). */
async function rewriteWithout(
  tx: Tx,
  dataDir: string,
  file: LiveFile,
  appId: string,
  copies: readonly ReplacedCopy[],
): Promise<void> {
  const partition = { projectId: file.projectId, hour: file.hour };
  const source = readEventFiles([join(dataDir, file.path)]);
  const path = await writeParquet(
    tx,
    dataDir,
    partitionDir(dataDir, partition),
    `SELECT ${EVENT_FILE_COLUMNS} FROM (${source.sql})
     WHERE NOT (app_id = ?::UUID AND client_event_id IN (SELECT unnest(?::JSON::VARCHAR[]))) ${SORT}`,
    [...source.params, appId, copies.map((c) => c.client_event_id)],
    FORMAT_TAG,
  );
  const [stats] = await statsOf(tx, dataDir, [path]);
  await retireFiles(tx, [file.path]);
  if (!stats) {
    rmSync(join(dataDir, path), { force: true });
    return;
  }
  if (stats.rows !== file.rows - copies.length) {
    throw new Error(`rewriting ${file.path} kept ${stats.rows} rows, expected ${file.rows - copies.length}`);
  }
  await addToManifest(tx, dataDir, [{ ...partition, ...stats }]);
  // A file whose users were not counted yet: its rewrite is not counted either (lake/users.ts).
  await tx.run("UPDATE users_uncounted_files SET path = ? WHERE path = ?", [stats.path, file.path]);
}
