import type { Logger } from "../../lib/log";
import type { Store } from "../../store/db";
import { RecentKeys } from "./recent-keys";
import { type KeyTable, loadKeys } from "./repository";

/** How long an event id is remembered for dedup, and a session for counting it once. */
export const DEDUP_WINDOW_MS = 7 * 86_400_000;

/** Fills memory from the key tables, so dedup and sessions survive a restart. */
export async function loadRecentKeys(store: Store, log: Logger) {
  const started = performance.now();
  const now = Date.now();
  const load = async (table: KeyTable) => {
    const keys = new RecentKeys(DEDUP_WINDOW_MS);
    for (const { key, at } of await loadKeys(store, table, now - DEDUP_WINDOW_MS)) keys.add(key, at);
    return keys;
  };
  const eventKeys = await load("event_keys");
  const sessionKeys = await load("session_keys");
  log.info("ingest keys loaded", {
    event_keys: eventKeys.size,
    session_keys: sessionKeys.size,
    ms: Math.round(performance.now() - started),
  });
  return { eventKeys, sessionKeys };
}
