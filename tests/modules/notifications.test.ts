import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signature } from "../../src/modules/notifications/webhook";
import { type Roost, startRoost, type Tenant } from "../helpers";

/** A local webhook receiver: records every request; `answer` decides each status. */
function receiver() {
  const seen: Array<{ headers: Headers; body: string; status: number }> = [];
  let answer = (_delivery: string, _attempt: number): number => 200;
  const attempts = new Map<string, number>();
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      const body = await request.text();
      const delivery = request.headers.get("x-roost-delivery") ?? "";
      const n = (attempts.get(delivery) ?? 0) + 1;
      attempts.set(delivery, n);
      const status = answer(delivery, n);
      seen.push({ headers: request.headers, body, status });
      return new Response(status < 300 ? "ok" : "no", { status });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    seen,
    delivered: () => seen.filter((s) => s.status < 300).map((s) => JSON.parse(s.body)),
    setAnswer(f: typeof answer) {
      answer = f;
    },
    stop: () => server.stop(true),
  };
}

/** Retries, polls and digests fast enough for a test. */
const quick = (over: Partial<Roost["config"]["notifications"]> = {}) => ({
  retryBaseMs: 20,
  maxAttempts: 3,
  timeoutMs: 2000,
  pollMs: 20,
  digestEveryMs: 60_000,
  smtpUrl: null,
  smtpFrom: "roost@acme.test",
  ...over,
});

let roost: Roost;
let t: Tenant;
let other: Tenant;
const hook = receiver();
beforeAll(async () => {
  roost = await startRoost({
    notifications: quick(),
  });
  t = await roost.tenant("Hooks");
  other = await roost.tenant("Else");
});
afterAll(async () => {
  await roost.close();
  hook.stop();
});

const base = (tenant: Tenant) => `/v1/projects/${tenant.project.id}/notifications`;
let n = 0;
async function sendError(message: string, extra: Record<string, unknown> = {}) {
  const r = await roost.call("POST", "/v1/ingest", {
    token: t.clientKey,
    body: {
      bundle_id: t.app.bundle_id,
      events: [
        {
          client_event_id: `n-${n++}`,
          session_id: `s-${n}`,
          level: "error",
          message,
          environment: "ios",
          ...extra,
        },
      ],
    },
  });
  expect(r.body.accepted).toBe(1);
  await roost.issuesSettled();
  await roost.services.notifications.drain();
}
async function until(check: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await roost.services.notifications.drain();
    await Bun.sleep(20);
  }
}

describe("destinations", () => {
  let secret: string;
  let destinationId: string;

  test("a webhook is created with its secret shown once", async () => {
    const r = await roost.call("POST", base(t), { token: t.token, body: { url: hook.url } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      kind: "webhook",
      url: hook.url,
      events: ["issue.new", "issue.regressed", "issue.digest"],
    });
    expect(r.body.secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    secret = r.body.secret;
    destinationId = r.body.id;
    const list = await roost.call("GET", base(t), { token: t.token });
    expect(list.body.destinations).toHaveLength(1);
    expect(list.body.destinations[0].secret).toBeUndefined();
  });

  test("a new production issue is posted, signed, and retried after a 500", async () => {
    hook.setAnswer((_, attempt) => (attempt === 1 ? 500 : 200));
    await sendError("Payment 42 declined", { app_version: "3.1.0" });
    await until(() => hook.delivered().length === 1);
    const [first, second] = hook.seen;
    expect(first?.status).toBe(500);
    expect(second?.status).toBe(200);
    const payload = JSON.parse(second?.body ?? "{}");
    expect(payload).toMatchObject({
      event: "issue.new",
      project: { id: t.project.id, name: "Main" },
      issue: {
        title: "Payment 42 declined",
        status: "new",
        event_count: 1,
        app_name: "iOS",
        last_seen_app_version: "3.1.0",
      },
    });
    const headers = second?.headers as Headers;
    expect(headers.get("x-roost-event")).toBe("issue.new");
    expect(headers.get("x-roost-delivery")).toBe(payload.delivery_id);
    expect(first?.headers.get("x-roost-delivery")).toBe(payload.delivery_id);
    const timestamp = headers.get("x-roost-timestamp") as string;
    expect(headers.get("x-roost-signature")).toBe(
      `sha256=${signature(secret, timestamp, second?.body ?? "")}`,
    );
    expect(signature("wrong", timestamp, second?.body ?? "")).not.toBe(
      headers.get("x-roost-signature")?.slice(7),
    );

    const issues = await roost.call("GET", `/v1/projects/${t.project.id}/issues`, { token: t.token });
    const notified = issues.body.issues.find((i: any) => i.id === payload.issue.id);
    expect(notified.last_notified_at).not.toBeNull();
    const log = await roost.call("GET", `${base(t)}/${destinationId}/deliveries`, { token: t.token });
    expect(log.body.deliveries).toHaveLength(1);
    expect(log.body.deliveries[0]).toMatchObject({
      state: "delivered",
      attempts: 2,
      last_status: 200,
      last_error: null,
    });
  });

  test("more errors of the issue, and development errors, notify nobody", async () => {
    const before = hook.seen.length;
    await sendError("Payment 43 declined");
    await sendError("Only in dev", { is_dev: true });
    await Bun.sleep(100);
    await roost.services.notifications.drain();
    expect(hook.seen.length).toBe(before);
    const dev = await roost.call("GET", `/v1/projects/${t.project.id}/issues?is_dev=true`, {
      token: t.token,
    });
    expect(dev.body.issues.map((i: any) => [i.title, i.last_notified_at])).toEqual([["Only in dev", null]]);
  });

  test("a regression is posted", async () => {
    hook.setAnswer(() => 200);
    const issues = await roost.call("GET", `/v1/projects/${t.project.id}/issues`, { token: t.token });
    const issue = issues.body.issues.find((i: any) => i.title === "Payment 42 declined");
    await roost.call("PATCH", `/v1/projects/${t.project.id}/issues/${issue.id}`, {
      token: t.token,
      body: { status: "resolved", resolved_at_version: "3.1.0" },
    });
    await sendError("Payment 44 declined", { app_version: "3.2.0" });
    await until(() => hook.delivered().some((p) => p.event === "issue.regressed"));
    const regressed = hook.delivered().find((p) => p.event === "issue.regressed");
    expect(regressed.issue).toMatchObject({ id: issue.id, status: "regressed" });
  });

  test("a delivery that keeps failing is given up after the attempts allowed", async () => {
    hook.setAnswer(() => 503);
    await sendError("Cache exploded");
    const logOf = async () =>
      (await roost.call("GET", `${base(t)}/${destinationId}/deliveries`, { token: t.token })).body
        .deliveries[0];
    const deadline = Date.now() + 5_000;
    while ((await logOf()).state === "pending" && Date.now() < deadline) {
      await roost.services.notifications.drain();
      await Bun.sleep(20);
    }
    expect(await logOf()).toMatchObject({
      state: "failed",
      attempts: 3,
      last_status: 503,
      last_error: "HTTP 503",
    });
  });

  test("bad input is a 400 that says what to fix; others' projects are not found", async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: "ftp://x" }, "url must be an http or https URL"],
      [{ url: "not a url" }, "url must be an http or https URL"],
      [
        { url: hook.url, events: ["issue.new", "issue.new"] },
        "events must be a list of distinct values from issue.new, issue.regressed, issue.digest",
      ],
      [
        { url: hook.url, events: ["issue.deleted"] },
        "events must be a list of distinct values from issue.new, issue.regressed, issue.digest",
      ],
    ];
    for (const [body, error] of cases) {
      const r = await roost.call("POST", base(t), { token: t.token, body });
      expect([r.status, r.body.error]).toEqual([400, error]);
    }
    expect((await roost.call("GET", base(t))).status).toBe(401);
    expect((await roost.call("GET", base(t), { token: t.clientKey })).status).toBe(403);
    const foreign = await roost.call("GET", base(t), { token: other.token });
    expect([foreign.status, foreign.body.error]).toEqual([404, "Project not found"]);
    const gone = await roost.call("DELETE", `${base(t)}/${crypto.randomUUID()}`, { token: t.token });
    expect([gone.status, gone.body.error]).toEqual([404, "Destination not found"]);
  });

  test("a deleted destination gets nothing more", async () => {
    hook.setAnswer(() => 200);
    const r = await roost.call("DELETE", `${base(t)}/${destinationId}`, { token: t.token });
    expect(r.body).toEqual({ deleted: true });
    const before = hook.seen.length;
    await sendError("After the end");
    await Bun.sleep(100);
    await roost.services.notifications.drain();
    expect(hook.seen.length).toBe(before);
    expect((await roost.call("GET", base(t), { token: t.token })).body.destinations).toEqual([]);
  });
});

describe("digest", () => {
  test("a destination's digest lists the new and regressed issues since the last one, and is quiet when nothing changed", async () => {
    const digest = await startRoost({
      notifications: quick({ digestEveryMs: 300 }),
    });
    try {
      const d = await digest.tenant("Digest");
      const got = receiver();
      const created = await digest.call("POST", `/v1/projects/${d.project.id}/notifications`, {
        token: d.token,
        body: { url: got.url, events: ["issue.digest"] },
      });
      expect(created.status).toBe(201);
      await digest.call("POST", "/v1/ingest", {
        token: d.clientKey,
        body: {
          bundle_id: d.app.bundle_id,
          events: ["Alpha broke", "Beta broke"].map((message, i) => ({
            client_event_id: `dg-${i}`,
            session_id: `dg-${i}`,
            level: "error",
            message,
            environment: "ios",
          })),
        },
      });
      await digest.services.grouper.settle();
      const deadline = Date.now() + 5_000;
      while (got.delivered().length === 0 && Date.now() < deadline) await Bun.sleep(50);
      const [first] = got.delivered();
      expect(first.event).toBe("issue.digest");
      expect(first.issues.map((i: any) => i.title).sort()).toEqual(["Alpha broke", "Beta broke"]);
      // Nothing new since: the next digests are quiet.
      await Bun.sleep(1_000);
      expect(got.delivered()).toHaveLength(1);
      got.stop();
    } finally {
      await digest.close();
    }
  });
});

/** A local SMTP server: answers each command, keeps what it was sent; `refuseRcpt` answers 550. */
function smtpServer(options: { refuseRcpt?: boolean } = {}) {
  const sessions: Array<{ commands: string[]; data: string }> = [];
  const server = Bun.listen<{ commands: string[]; data: string; inData: boolean; buffer: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { commands: [], data: "", inData: false, buffer: "" };
        sessions.push(socket.data);
        socket.write("220 test ESMTP\r\n");
      },
      data(socket, bytes) {
        const s = socket.data;
        s.buffer += new TextDecoder().decode(bytes);
        for (;;) {
          if (s.inData) {
            const end = s.buffer.indexOf("\r\n.\r\n");
            if (end < 0) return;
            s.data = s.buffer.slice(0, end);
            s.buffer = s.buffer.slice(end + 5);
            s.inData = false;
            socket.write("250 queued\r\n");
            continue;
          }
          const nl = s.buffer.indexOf("\r\n");
          if (nl < 0) return;
          const command = s.buffer.slice(0, nl);
          s.buffer = s.buffer.slice(nl + 2);
          s.commands.push(command);
          const verb = command.split(" ")[0]?.toUpperCase();
          if (verb === "EHLO") socket.write("250-test\r\n250 AUTH PLAIN\r\n");
          else if (verb === "AUTH") socket.write("235 ok\r\n");
          else if (verb === "RCPT" && options.refuseRcpt) socket.write("550 no such user\r\n");
          else if (verb === "DATA") {
            s.inData = true;
            socket.write("354 go on\r\n");
          } else if (verb === "QUIT") {
            socket.write("221 bye\r\n");
            socket.end();
          } else socket.write("250 ok\r\n");
        }
      },
    },
  });
  return {
    url: `smtp://alerts%40acme.test:s3cret@127.0.0.1:${server.port}`,
    sessions,
    stop: () => server.stop(true),
  };
}

describe("e-mail", () => {
  test("without an SMTP server, an e-mail destination is refused with what to set", async () => {
    const r = await roost.call("POST", base(t), { token: t.token, body: { email: "ops@acme.test" } });
    expect([r.status, r.body.error]).toEqual([
      400,
      "email destinations need the server to have ROOST_SMTP_URL set",
    ]);
    const both = await roost.call("POST", base(t), {
      token: t.token,
      body: { email: "ops@acme.test", url: hook.url },
    });
    expect([both.status, both.body.error]).toEqual([400, "Give url (a webhook) or email"]);
  });

  test("a new issue is mailed over SMTP with AUTH PLAIN; a refused recipient is retried, then given up", async () => {
    const smtp = smtpServer();
    const refusing = smtpServer({ refuseRcpt: true });
    const mailer = await startRoost({
      notifications: quick({ maxAttempts: 2, smtpUrl: smtp.url }),
    });
    try {
      const m = await mailer.tenant("Mail");
      const bad = await mailer.call("POST", `/v1/projects/${m.project.id}/notifications`, {
        token: m.token,
        body: { email: "not an address" },
      });
      expect([bad.status, bad.body.error]).toEqual([400, "email must be a valid address"]);
      const created = await mailer.call("POST", `/v1/projects/${m.project.id}/notifications`, {
        token: m.token,
        body: { email: "ops@acme.test", events: ["issue.new"] },
      });
      expect(created.body).toMatchObject({
        kind: "email",
        email: "ops@acme.test",
        url: "mailto:ops@acme.test",
      });
      await mailer.call("POST", "/v1/ingest", {
        token: m.clientKey,
        body: {
          bundle_id: m.app.bundle_id,
          events: [
            {
              client_event_id: "m1",
              session_id: "s",
              level: "error",
              message: "Queue stalled",
              environment: "ios",
            },
          ],
        },
      });
      await mailer.services.grouper.settle();
      await mailer.services.notifications.drain();
      const session = smtp.sessions.find((s) => s.data.length > 0);
      expect(session?.commands.slice(0, 5)).toEqual([
        "EHLO roost",
        `AUTH PLAIN ${Buffer.from("\0alerts@acme.test\0s3cret").toString("base64")}`,
        "MAIL FROM:<roost@acme.test>",
        "RCPT TO:<ops@acme.test>",
        "DATA",
      ]);
      expect(session?.data).toContain("Subject: [Main] New issue: Queue stalled");
      expect(session?.data).toContain("To: ops@acme.test");
      expect(session?.data).toMatch(/#\d+ Queue stalled\r\n {2}iOS: 1 events, 1 sessions, 0 users/);
      const log = await mailer.call(
        "GET",
        `/v1/projects/${m.project.id}/notifications/${created.body.id}/deliveries`,
        {
          token: m.token,
        },
      );
      expect(log.body.deliveries[0]).toMatchObject({ state: "delivered", attempts: 1, last_error: null });
    } finally {
      await mailer.close();
      smtp.stop();
    }
    const refused = await startRoost({
      notifications: quick({ maxAttempts: 2, smtpUrl: refusing.url }),
    });
    try {
      const m = await refused.tenant("Refused");
      const created = await refused.call("POST", `/v1/projects/${m.project.id}/notifications`, {
        token: m.token,
        body: { email: "nobody@acme.test" },
      });
      await refused.call("POST", "/v1/ingest", {
        token: m.clientKey,
        body: {
          bundle_id: m.app.bundle_id,
          events: [
            {
              client_event_id: "r1",
              session_id: "s",
              level: "error",
              message: "Lost mail",
              environment: "ios",
            },
          ],
        },
      });
      await refused.services.grouper.settle();
      const logOf = async () =>
        (
          await refused.call(
            "GET",
            `/v1/projects/${m.project.id}/notifications/${created.body.id}/deliveries`,
            {
              token: m.token,
            },
          )
        ).body.deliveries[0];
      const deadline = Date.now() + 5_000;
      while ((await logOf())?.state !== "failed" && Date.now() < deadline) {
        await refused.services.notifications.drain();
        await Bun.sleep(20);
      }
      const last = await logOf();
      expect(last).toMatchObject({ state: "failed", attempts: 2, last_status: null });
      expect(last.last_error).toContain("550 no such user");
      expect(refusing.sessions.filter((x) => x.commands.some((c) => c.startsWith("RCPT"))).length).toBe(2);
    } finally {
      await refused.close();
      refusing.stop();
    }
  });
});
