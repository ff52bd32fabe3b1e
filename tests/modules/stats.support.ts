import { afterAll, beforeAll, expect } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../helpers";

/**
 * The stats API tests' shared setup (stats.test.ts, on every backend; stats.embedded.test.ts, on
 * the embedded store only): two tenants, a second project, and outcomes relayed for 13–14 March 2021.
 */
export function statsFixture() {
  const f = {} as { roost: Roost; t: Tenant; other: Tenant; second: string };

  beforeAll(async () => {
    // The 20/s rate limit has a test of its own; here it would only get in the way.
    f.roost = await startRoost({ statsRateLimit: { burst: 1_000_000, perSecond: 1_000_000 } });
    f.t = await f.roost.tenant("Stats");
    f.other = await f.roost.tenant("StatsOther");
    f.second = (
      await f.roost.call("POST", "/v1/projects", {
        token: f.t.token,
        body: { team_id: f.t.team.id, name: "Second" },
      })
    ).body.id;
    const row = (
      timestamp: string,
      outcome: string,
      category: string,
      quantity: number,
      extra: Record<string, unknown> = {},
    ) => ({
      timestamp,
      project_id: f.t.project.id,
      outcome,
      category,
      quantity,
      ...extra,
    });
    const r = await f.roost.call("POST", "/v1/outcomes", {
      token: f.t.adminKey,
      body: {
        outcomes: [
          row("2021-03-13T10:00:00Z", "accepted", "error", 2),
          row("2021-03-14T10:20:00Z", "accepted", "error", 6),
          row("2021-03-14T10:50:00Z", "accepted", "default", 1),
          row("2021-03-14T13:05:00Z", "accepted", "security", 1),
          row("2021-03-14T10:30:00Z", "invalid", "error", 3, { reason: "duplicate" }),
          row("2021-03-14T11:00:00Z", "rate_limited", "error", 4, { reason: "smart_rate_limit" }),
          row("2021-03-14T12:00:00Z", "accepted", "attachment", 5000, { times_seen: 2 }),
          row("2021-03-14T12:00:00Z", "accepted", "session", 40, { times_seen: 3 }),
          row("2021-03-14T12:00:00Z", "filtered", "transaction", 7, {
            project_id: f.second,
            reason: "level",
          }),
        ],
      },
    });
    expect(r.status).toBe(200);
  });
  afterAll(() => f.roost.close());

  const _RANGE = "start=2021-03-13T00:00:00Z&end=2021-03-15T00:00:00Z";
  const _stats = (qs: string, token = f.t.adminKey, slug = f.t.team.slug) =>
    f.roost.call("GET", `/api/0/organizations/${slug}/stats_v2/?${qs}`, { token });

  const RANGE = "start=2021-03-13T00:00:00Z&end=2021-03-15T00:00:00Z";
  const stats = (qs: string, token = f.t.adminKey, slug = f.t.team.slug) =>
    f.roost.call("GET", `/api/0/organizations/${slug}/stats_v2/?${qs}`, { token });
  return { f, RANGE, stats };
}
