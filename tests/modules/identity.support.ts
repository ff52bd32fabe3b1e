import { afterAll, beforeAll, expect } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * The identity tests' shared setup (identity.test.ts, on every backend; identity.embedded.test.ts,
 * on the embedded store only). Exported bindings are live: each file's `useIdentityRoost` sets
 * them before its tests.
 */
export let roost: Roost;
export let t: Tenant;
export let other: Tenant;

export const ANON = "owl_anon_6f1c2d9e-0000-4000-8000-000000000001";
export const LATE_ANON = "owl_anon_6f1c2d9e-0000-4000-8000-000000000002";

/** A fresh Roost with two tenants for the test file that calls it (before its tests). */
export function useIdentityRoost(): void {
  beforeAll(async () => {
    roost = await startRoost();
    t = await roost.tenant("Ident");
    other = await roost.tenant("Other");
  });
  afterAll(() => roost.close());
}

let n = 0;
/** A new client_event_id. */
export const nextId = (prefix = "e") => `${prefix}-${n++}`;
export async function send(tenant: Tenant, userId: string | undefined, count: number, session = "s-1") {
  const events = Array.from({ length: count }, () => ({
    client_event_id: nextId(),
    session_id: session,
    user_id: userId,
    level: "info",
    message: "screen viewed",
    environment: "ios",
    app_version: "2.0.0",
  }));
  const r = await roost.call("POST", "/v1/ingest", {
    token: tenant.clientKey,
    body: { bundle_id: tenant.app.bundle_id, events },
  });
  expect(r.status).toBe(200);
  expect(r.body.accepted).toBe(count);
}

export const claim = (body: unknown, token = t.clientKey) =>
  roost.call("POST", "/v1/identity/claim", { token, body });
export const events = (query: string, token = t.adminKey) =>
  roost.call("GET", `/v1/events?${query}`, { token });
export const count = (query: string, token = t.adminKey) =>
  roost.call("GET", `/v1/events/count?${query}`, { token });
