import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { createLogger } from "../../src/lib/log";
import { type Roost, requester, startRoost, type Tenant } from "../helpers";

let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("Auth");
});
afterAll(() => roost.close());

/**
 * Sessions of one process: the signing secret in its data directory, a token signed by an app
 * configured otherwise, and the periodic flush of keys' last use. On a cluster the secret is
 * shared through PostgreSQL (tests/cluster/cross-node.cluster.ts: a token from one node works on the
 * other).
 */
describe("sessions and keys of one process", () => {
  test("an expired token → 401", async () => {
    const short = await createApp(
      { ...roost.config, jwtTtlSeconds: -10 },
      { store: roost.store, log: createLogger("silent") },
    );
    const login = await requester(short.app)("POST", "/v1/auth/login", {
      body: { email: t.email, password: t.password },
    });
    const token: string = login.body.token;
    const r = await roost.call("GET", "/v1/auth/me", { token });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("Invalid or expired token");
  });

  test("last_used_at is written by the periodic flush", async () => {
    await roost.call("GET", "/v1/auth/me", { token: t.adminKey });
    expect(await roost.services.auth.flushLastUsed()).toBeGreaterThan(0);
    const keys = await roost.call("GET", "/v1/keys", { token: t.token });
    const used = keys.body.keys.find((k: { name: string }) => k.name === "all");
    expect(Date.now() - Date.parse(used.last_used_at)).toBeLessThan(60_000);
  });
});

describe("the signing secret", () => {
  test("is generated once, mode 0600, and survives a restart (tokens stay valid)", async () => {
    const path = join(roost.dir, "secret");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await createApp(roost.config, { store: roost.store, log: createLogger("silent") });
    const r = await requester(again.app)("GET", "/v1/auth/me", { token: t.token });
    expect(r.status).toBe(200);
  });

  test("ROOST_JWT_SECRET replaces it: old tokens are refused", async () => {
    const other = await createApp(
      { ...roost.config, jwtSecret: "another-secret-entirely" },
      {
        store: roost.store,
        log: createLogger("silent"),
      },
    );
    const r = await requester(other.app)("GET", "/v1/auth/me", { token: t.token });
    expect(r.status).toBe(401);
  });
});
