import { describe, expect, test } from "bun:test";
import { startRoost } from "../../helpers";

/**
 * Sentry ingest on a Roost of the test's own configuration: a DSN under ROOST_PUBLIC_URL (a
 * cluster's nodes all run the cluster's one configuration).
 */
describe("DSN", () => {
  test("ROOST_PUBLIC_URL decides the DSN's host", async () => {
    const other = await startRoost({ publicUrl: "https://roost.example.com/telemetry" });
    try {
      const owner = await other.tenant("Public");
      const app = await other.call("POST", "/v1/apps", {
        token: owner.token,
        body: { project_id: owner.project.id, name: "api", platform: "backend" },
      });
      const { secret, dsn, sentry_init } = app.body.client_key;
      expect(dsn).toBe(`https://${secret}@roost.example.com/telemetry/${owner.project.sentry_id}`);
      expect(sentry_init).toBe(`Sentry.init({ dsn: "${dsn}" });`);
    } finally {
      await other.close();
    }
  });
});
