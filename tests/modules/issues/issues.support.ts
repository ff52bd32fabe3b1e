import { afterAll, beforeAll, expect } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../../helpers";

/**
 * The issues tests' shared setup (issues.test.ts, on every backend; issues.embedded.test.ts, on the
 * embedded store only): a Roost with two tenants, and helpers that send errors (waiting until they
 * are grouped) and read issues back. Exported bindings are live: each file's `useIssuesRoost` sets
 * them before its tests.
 */
export let roost: Roost;
export let t: Tenant;
export let other: Tenant;

/** A fresh Roost with two tenants for the test file that calls it (before its tests). */
export function useIssuesRoost(): void {
  beforeAll(async () => {
    roost = await startRoost();
    t = await roost.tenant("Acme");
    other = await roost.tenant("Other");
  });
  afterAll(() => roost.close());
}

let n = 0;
/** A new client_event_id. */
export const nextId = () => `c-${n++}`;
export const T0 = Date.parse("2026-11-20T10:00:00Z");

export interface Err {
  message: string;
  session?: string;
  user?: string | null;
  version?: string;
  at?: number;
  attrs?: Record<string, string>;
  level?: string;
  module?: string;
}

/** Sends events through Owlmetry's ingest, then waits until they are grouped. */
export async function send(tenant: Tenant, errors: Err[]) {
  const events = errors.map((e) => ({
    client_event_id: nextId(),
    session_id: e.session ?? "s-1",
    user_id: e.user ?? null,
    level: e.level ?? "error",
    message: e.message,
    source_module: e.module,
    environment: "ios",
    app_version: e.version ?? "1.0.0",
    custom_attributes: e.attrs,
    timestamp: new Date(e.at ?? T0).toISOString(),
  }));
  const r = await roost.call("POST", "/v1/ingest", {
    token: tenant.clientKey,
    body: { bundle_id: tenant.app.bundle_id, events },
  });
  expect(r.status).toBe(200);
  expect(r.body.accepted).toBe(errors.length);
  await roost.issuesSettled();
}

export const issuesPath = (tenant: Tenant, query = "") => `/v1/projects/${tenant.project.id}/issues${query}`;
export const list = async (tenant: Tenant, query = "") => {
  const r = await roost.call("GET", issuesPath(tenant, query), { token: tenant.token });
  expect(r.status).toBe(200);
  return r.body.issues as any[];
};
export const byTitle = async (tenant: Tenant, title: string) =>
  (await list(tenant, "?data_mode=all")).find((i) => i.title === title);
export const issuePath = (tenant: Tenant, id: string, rest = "") =>
  `/v1/projects/${tenant.project.id}/issues/${id}${rest}`;
export const patch = (tenant: Tenant, id: string, body: unknown) =>
  roost.call("PATCH", issuePath(tenant, id), { token: tenant.token, body });
