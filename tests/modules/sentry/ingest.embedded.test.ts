import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Roost, startRoost, type Tenant } from "../../helpers";
import { sentryFixture } from "./sentry.support";

/**
 * Sentry ingest on a Roost of the test's own: a DSN under ROOST_PUBLIC_URL (a cluster's nodes all
 * run the cluster's one configuration), and user feedback filed as Roost feedback (not on a
 * cluster yet, decision 017).
 */
let roost: Roost;
let t: Tenant;

beforeAll(async () => {
  roost = await startRoost();
  t = await roost.tenant("SentryFeedback");
});
afterAll(() => roost.close());

const { freshProject, hex, envelope, post, asKey } = sentryFixture(() => ({ roost, t }));

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

describe("Sentry's user feedback", () => {
  test("is filed as feedback, with its screenshot, beside Owlmetry's", async () => {
    const f = await freshProject();
    const eventId = hex();
    const screenshot = new TextEncoder().encode("PNG…");
    const body = envelope({ event_id: eventId, sent_at: new Date().toISOString() }, [
      [
        { type: "feedback" },
        {
          event_id: eventId,
          user: { id: "u-77" },
          release: "shop@3.0.0",
          contexts: {
            feedback: {
              message: "The export button does nothing",
              contact_email: "ann@example.com",
              name: "Ann",
              url: "https://shop.example.com/export",
            },
          },
        },
      ],
      [
        {
          type: "attachment",
          filename: "screenshot.png",
          content_type: "image/png",
          length: screenshot.length,
        },
        screenshot,
      ],
    ]);
    expect((await post(f, body, { query: asKey(f) })).status).toBe(200);
    const listed = await roost.call("GET", `/v1/projects/${f.projectId}/feedback?data_mode=all`, {
      token: t.token,
    });
    expect(listed.body.feedback).toHaveLength(1);
    const item = listed.body.feedback[0];
    expect(item).toMatchObject({
      app_id: f.appId,
      message: "The export button does nothing",
      submitter_name: "Ann",
      submitter_email: "ann@example.com",
      user_id: "u-77",
      app_version: "3.0.0",
      screen_name: "https://shop.example.com/export",
      client_event_id: eventId,
      status: "new",
    });
    const detail = await roost.call("GET", `/v1/projects/${f.projectId}/feedback/${item.id}`, {
      token: t.token,
    });
    expect(detail.body.attachments.map((a: { original_filename: string }) => a.original_filename)).toEqual([
      "screenshot.png",
    ]);
  });
});
