import type { Roost, Tenant } from "../../helpers";

/** A project of a test's own, with one backend app and its client key. */
export interface Fresh {
  projectId: string;
  sentryId: number;
  appId: string;
  keyId: string;
  key: string;
  dsn: string;
}

/** What the Sentry ingest tests share: projects of their own, envelopes, and sending them. */
export function sentryFixture(current: () => { roost: Roost; t: Tenant }) {
  let seq = 0;

  /** A fresh project with one backend app, so each test reads only its own rows and outcomes. */
  async function freshProject(
    project: Record<string, unknown> = {},
    tenant = () => current().t,
  ): Promise<Fresh> {
    const owner = tenant();
    const p = await current().roost.call("POST", "/v1/projects", {
      token: owner.token,
      body: { team_id: owner.team.id, name: `p${seq++}`, ...project },
    });
    const a = await current().roost.call("POST", "/v1/apps", {
      token: owner.token,
      body: { project_id: p.body.id, name: "api", platform: "backend" },
    });
    return {
      projectId: p.body.id as string,
      sentryId: p.body.sentry_id as number,
      appId: a.body.id as string,
      keyId: a.body.client_key.id as string,
      key: a.body.client_key.secret as string,
      dsn: a.body.client_key.dsn as string,
    };
  }

  const hex = () => crypto.randomUUID().replaceAll("-", "");

  /** An envelope's bytes: a header line, then each item as a header line and its payload. */
  function envelope(
    header: Record<string, unknown>,
    items: Array<[Record<string, unknown>, unknown]>,
  ): Uint8Array {
    const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify(header))];
    for (const [itemHeader, payload] of items) {
      const body =
        payload instanceof Uint8Array
          ? payload
          : new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload));
      parts.push(new TextEncoder().encode(`\n${JSON.stringify(itemHeader)}\n`), body);
    }
    return Buffer.concat(parts);
  }

  /** A session's first update, as `Sentry.startSession()` sends it. */
  const aSession = () => ({
    sid: hex(),
    init: true,
    status: "ok",
    started: new Date().toISOString(),
    attrs: { release: "1.0" },
  });

  /** One error event as `@sentry/node` sends it. */
  const errorEvent = (over: Record<string, unknown> = {}) => ({
    event_id: hex(),
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    environment: "production",
    release: "shop@2.4.1+77",
    exception: {
      values: [
        {
          type: "TypeError",
          value: "cannot read properties of undefined",
          stacktrace: { frames: [{ filename: "app.js", function: "checkout", lineno: 12, in_app: true }] },
        },
      ],
    },
    ...over,
  });

  const post = (
    f: Pick<Fresh, "sentryId">,
    body: Uint8Array | string,
    options: { query?: string; headers?: Record<string, string>; path?: string } = {},
  ) =>
    current().roost.call("POST", `/api/${f.sentryId}/${options.path ?? "envelope"}/${options.query ?? ""}`, {
      body,
      headers: options.headers,
    });
  const asKey = (f: Pick<Fresh, "key">) => `?sentry_version=7&sentry_key=${f.key}&sentry_client=test/1.0`;
  const sendEvent = (f: Fresh, event: Record<string, unknown> = errorEvent()) =>
    post(f, envelope({ event_id: event.event_id }, [[{ type: "event" }, event]]), { query: asKey(f) });

  /** An app's stored events, by their time, from whichever store holds them. */
  const stored = async (appId: string) =>
    (await current().roost.stored(appId)).sort(
      (a, b) => a.timestamp - b.timestamp || (a.client_event_id < b.client_event_id ? -1 : 1),
    );
  const outcomes = async (projectId: string) =>
    (await current().roost.outcomes(projectId)).map((o) => [o.outcome, o.category, o.reason, o.quantity]);

  return { freshProject, hex, envelope, aSession, errorEvent, post, asKey, sendEvent, stored, outcomes };
}
