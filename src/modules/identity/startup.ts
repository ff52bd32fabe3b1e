import type { Logger } from "../../lib/log";
import type { Store } from "../../store/db";
import { IdentityClaims } from "./claims";
import { loadClaims } from "./repository";

/** Every identity claim into memory, before the first request (the write path resolves with them). */
export async function loadIdentityClaims(store: Store, log: Logger): Promise<IdentityClaims> {
  const started = performance.now();
  const claims = new IdentityClaims();
  for (const claim of await loadClaims(store)) claims.add(claim);
  log.info("identity claims loaded", { claims: claims.size, ms: Math.round(performance.now() - started) });
  return claims;
}
