import { beforeAll, describe, expect, test } from "bun:test";
import { wakeSnoozed } from "../../../src/modules/issues/repository";
import {
  byTitle,
  issuePath,
  issuesPath,
  list,
  nextId,
  other,
  patch,
  roost,
  send,
  T0,
  t,
  useIssuesRoost,
} from "./issues.support";

/** Issues through the API (decision 011), on every backend (issues.support.ts). */
useIssuesRoost();

describe("errors become issues", () => {
  test("errors with the same normalised message are one issue, with its counts", async () => {
    await send(t, [
      { message: "User 1 not found", session: "a", user: "u1", version: "1.0.0", at: T0 },
      { message: "User 2 not found", session: "a", user: "u1", version: "1.1.0", at: T0 + 60_000 },
      { message: "User 3 not found", session: "b", user: "u2", version: "1.2.0", at: T0 + 86_400_000 },
      { message: "User 4 not found", session: "c", user: null, version: "1.2.0", at: T0 + 86_400_000 + 1 },
      { message: "not an error", session: "a", level: "info" },
      { message: "a warning", session: "a", level: "warn" },
    ]);
    const issue = await byTitle(t, "User 1 not found");
    expect(issue).toMatchObject({
      status: "new",
      event_count: 4,
      occurrence_count: 3,
      unique_user_count: 2,
      first_seen_app_version: "1.0.0",
      last_seen_app_version: "1.2.0",
      first_seen_at: new Date(T0).toISOString(),
      last_seen_at: new Date(T0 + 86_400_000 + 1).toISOString(),
      is_dev: false,
      app_id: t.app.id,
      project_id: t.project.id,
      events_expired: false,
      app_name: "iOS",
    });
    expect(issue.fingerprints).toHaveLength(1);
    expect(await byTitle(t, "not an error")).toBeUndefined();
    expect(await byTitle(t, "a warning")).toBeUndefined();

    const detail = await roost.call("GET", issuePath(t, issue.id), { token: t.token });
    expect(detail.status).toBe(200);
    expect(detail.body.days).toEqual([
      { day: "2026-11-20", events: 2 },
      { day: "2026-11-21", events: 2 },
    ]);
    expect(detail.body.occurrences.map((o: any) => o.session_id)).toEqual(["c", "b", "a"]);
    expect(detail.body.occurrences[2]).toMatchObject({
      user_id: "u1",
      app_version: "1.0.0",
      environment: "ios",
    });
    expect(detail.body.comments).toEqual([]);
  });

  test("the events API's issue_id filter gives the issue's errors, hot and after a seal and compaction", async () => {
    const issue = await byTitle(t, "User 1 not found");
    const read = async () => {
      const page = await roost.call("GET", `/v1/events?issue_id=${issue.id}&limit=50`, { token: t.token });
      const count = await roost.call("GET", `/v1/events/count?issue_id=${issue.id}`, { token: t.token });
      expect(page.status).toBe(200);
      return { messages: page.body.events.map((e: any) => e.message).sort(), count: count.body };
    };
    /** Every page of one event, both orders: the same events as one page, each once, in order. */
    const walk = async (order: "desc" | "asc", extra = "") => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/v1/events?issue_id=${issue.id}&limit=1&order=${order}${extra}${cursor ? `&cursor=${cursor}` : ""}`;
        const page: any = await roost.call("GET", q, { token: t.token });
        ids.push(...page.body.events.map((e: any) => e.message));
        cursor = page.body.cursor;
      } while (cursor);
      return ids;
    };
    const hot = await read();
    expect(hot.messages).toEqual([
      "User 1 not found",
      "User 2 not found",
      "User 3 not found",
      "User 4 not found",
    ]);
    expect(hot.count).toEqual({ count: 4, unique_users: 2, unique_sessions: 3 });
    expect(await walk("asc")).toEqual(hot.messages);
    expect(await walk("desc")).toEqual([...hot.messages].reverse());
    expect(await walk("desc", "&level=error")).toEqual([...hot.messages].reverse());
    await roost.lake.seal(new Date(Date.now() + 1000));
    expect(await read()).toEqual(hot);
    expect(await walk("asc")).toEqual(hot.messages);
    await roost.lake.compact(new Date(Date.now() + 3_600_000));
    expect(await read()).toEqual(hot);
    expect(await walk("desc")).toEqual([...hot.messages].reverse());
    // Counts are the issue's own: a seal and compaction change nothing.
    expect(await byTitle(t, "User 1 not found")).toMatchObject({ event_count: 4, occurrence_count: 3 });
    // Another issue's id, an unknown one, and an app the issue is not in: nothing.
    const none = await roost.call("GET", `/v1/events?issue_id=${crypto.randomUUID()}`, { token: t.token });
    expect(none.body.events).toEqual([]);
    const wrongApp = await roost.call(
      "GET",
      `/v1/events?issue_id=${issue.id}&app_id=${crypto.randomUUID()}`,
      {
        token: t.token,
      },
    );
    expect(wrongApp.body.events).toEqual([]);
    const bad = await roost.call("GET", "/v1/events?issue_id=nope", { token: t.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("issue_id must be a UUID");
  });

  test("a burst of one session's errors is one issue; another session's burst is not", async () => {
    await send(t, [
      { message: "metric:sync:fail", session: "burst", at: T0 + 7_200_000 },
      { message: "Sync failed: timeout", session: "burst", at: T0 + 7_201_000 },
      { message: "Loader threw", session: "burst", at: T0 + 7_204_000 },
      { message: "Loader threw", session: "elsewhere", at: T0 + 9_000_000 },
    ]);
    const issue = await byTitle(t, "Sync failed: timeout");
    expect(issue).toMatchObject({ event_count: 4, occurrence_count: 2 });
    expect(issue.fingerprints).toHaveLength(3);
    expect(await byTitle(t, "metric:sync:fail")).toBeUndefined();
    expect(await byTitle(t, "Loader threw")).toBeUndefined();
  });

  test("network errors are told apart by request, and error types by type", async () => {
    let k = 0;
    const net = (url: string) => {
      k++;
      return {
        message: "sdk:network_request",
        session: `n-${k}`,
        at: T0 + 20_000_000 + k * 10_000,
        attrs: { _http_url: url, _http_method: "GET" },
      };
    };
    await send(t, [net("https://api.acme.com/cart/1")]);
    await send(t, [net("https://api.acme.com/cart/2?x=1")]);
    await send(t, [net("https://api.acme.com/orders/2")]);
    const network = (await list(t, "?data_mode=all")).filter((i) => i.title === "sdk:network_request");
    expect(network.map((i) => i.event_count).sort()).toEqual([1, 2]);

    await send(t, [
      { message: "Request failed", session: "t1", at: T0 + 30_000_000, attrs: { _error_type: "Timeout" } },
    ]);
    await send(t, [
      { message: "Request failed", session: "t2", at: T0 + 30_100_000, attrs: { _error_type: "Decode" } },
    ]);
    expect((await list(t)).filter((i) => i.title === "Request failed")).toHaveLength(2);
  });

  test("development errors are issues of their own", async () => {
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [
          {
            client_event_id: nextId(),
            session_id: "dev",
            level: "error",
            message: "User 9 not found",
            environment: "ios",
            is_dev: true,
          },
        ],
      },
    });
    expect(r.body.accepted).toBe(1);
    await roost.issuesSettled();
    const dev = await list(t, "?is_dev=true");
    expect(dev.map((i) => i.title)).toEqual(["User 9 not found"]);
    expect(dev[0].is_dev).toBe(true);
    expect((await list(t)).every((i) => i.is_dev === false)).toBe(true);
  });
});

describe("Sentry events", () => {
  test("same type and in-app frames on other lines are one issue; an explicit fingerprint wins", async () => {
    const projects = await roost.call("GET", `/v1/projects/${t.project.id}`, { token: t.token });
    const sentryId = projects.body.sentry_id;
    const key = t.clientKey;
    const event = (line: number, over: Record<string, unknown> = {}) => ({
      event_id: crypto.randomUUID().replaceAll("-", ""),
      timestamp: (T0 + 40_000_000 + line * 10_000) / 1000,
      level: "error",
      release: "shop@2.4.1",
      exception: {
        values: [
          {
            type: "TypeError",
            value: `x${line} is undefined`,
            stacktrace: {
              frames: [
                { module: "node:internal", function: "run", lineno: line * 3, in_app: false },
                { module: "shop.checkout", function: "pay", lineno: line, in_app: true },
              ],
            },
          },
        ],
      },
      ...over,
    });
    for (const body of [event(1), event(2), event(3, { fingerprint: ["payments"] })]) {
      const r = await roost.call("POST", `/api/${sentryId}/store/?sentry_key=${key}`, { body });
      expect(r.status).toBe(200);
    }
    await roost.issuesSettled();
    const sentry = (await list(t)).filter((i) => i.title.startsWith("TypeError"));
    expect(sentry.map((i) => i.event_count).sort()).toEqual([1, 2]);
    expect(sentry.find((i) => i.event_count === 2).last_seen_app_version).toBe("2.4.1");
  });
});

describe("status", () => {
  let id: string;
  beforeAll(async () => {
    await send(t, [{ message: "Disk full", session: "d1", version: "2.0.0", at: T0 + 50_000_000 }]);
    id = (await byTitle(t, "Disk full")).id;
  });

  test("resolving needs the fix's version; an error from a newer version regresses it, an older one does not", async () => {
    const missing = await patch(t, id, { status: "resolved" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe(
      "resolved_at_version is required when resolving an issue. Use status='silenced' if you don't want auto-regression.",
    );
    const resolved = await patch(t, id, { status: "resolved", resolved_at_version: "2.1.0" });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: "resolved", resolved_at_version: "2.1.0" });

    await send(t, [{ message: "Disk full", session: "d2", version: "2.0.9", at: T0 + 50_100_000 }]);
    await send(t, [{ message: "Disk full", session: "d3", version: "2.1.0", at: T0 + 50_200_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("resolved");

    await send(t, [{ message: "Disk full", session: "d4", version: "2.10.0", at: T0 + 50_300_000 }]);
    const regressed = await byTitle(t, "Disk full");
    expect(regressed).toMatchObject({ status: "regressed", resolved_at_version: null, event_count: 4 });
    expect(regressed.regressed_at).not.toBeNull();
  });

  test("a snooze ends on the next error, after a count, or at its time", async () => {
    expect((await patch(t, id, { status: "snoozed" })).body.status).toBe("snoozed");
    await send(t, [{ message: "Disk full", session: "d5", at: T0 + 50_400_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("new");

    const counted = await patch(t, id, { status: "snoozed", snooze_count: 2 });
    expect(counted.body).toMatchObject({ status: "snoozed", snooze_count: 2 });
    await send(t, [{ message: "Disk full", session: "d6", at: T0 + 50_500_000 }]);
    await send(t, [{ message: "Disk full", session: "d7", at: T0 + 50_600_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("snoozed");
    await send(t, [{ message: "Disk full", session: "d8", at: T0 + 50_700_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("new");

    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await patch(t, id, { status: "snoozed", snooze_until: until })).body.snooze_until).toBe(until);
    await send(t, [{ message: "Disk full", session: "d9", at: T0 + 50_800_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("snoozed");
    // Its time comes (the minute's check, run at a time past it): new again, with no error needed.
    const later = new Date(Date.now() + 2 * 3_600_000);
    // The grouping node runs this check every minute (a cluster's too); here it runs now, as if later.
    const woken = roost.onCluster
      ? await roost.store.write((tx) => wakeSnoozed(tx, later))
      : await roost.services.grouper.wakeSnoozes(later);
    // This tenant's: a cluster's database is shared with every earlier test of the run.
    const mine = new Set((await list(t, "?data_mode=all&limit=200")).map((i) => i.id));
    expect(woken.filter((w) => mine.has(w))).toEqual([id]);
    expect((await byTitle(t, "Disk full")).status).toBe("new");
    expect((await patch(t, id, { status: "snoozed", snooze_until: until })).status).toBe(200);
  });

  test("silenced stays silenced while errors go on", async () => {
    expect((await patch(t, id, { status: "silenced" })).status).toBe(200);
    await send(t, [{ message: "Disk full", session: "d10", version: "9.0.0", at: T0 + 50_900_000 }]);
    expect((await byTitle(t, "Disk full")).status).toBe("silenced");
  });

  test("bad updates are 400s with Owlmetry's words", async () => {
    const cases: Array<[unknown, string]> = [
      [{}, "status is required"],
      [
        { status: "gone" },
        "Invalid status. Must be one of: new, in_progress, resolved, silenced, regressed, snoozed",
      ],
      [{ status: "regressed" }, "Cannot transition from 'silenced' to 'regressed'"],
      [{ status: "snoozed", snooze_until: "soon" }, "snooze_until must be an ISO-8601 time"],
      [{ status: "snoozed", snooze_count: 0 }, "snooze_count must be a whole number of at least 1"],
    ];
    for (const [body, error] of cases) {
      const r = await patch(t, id, body);
      expect([r.status, r.body.error]).toEqual([400, error]);
    }
  });
});

describe("merge and comments", () => {
  test("a merge sums the counts, moves fingerprints and comments, and later errors follow", async () => {
    await send(t, [
      { message: "Cache miss storm", session: "m1", user: "x", at: T0 + 60_000_000 },
      { message: "Cache stampede", session: "m2", user: "y", at: T0 + 60_100_000 },
      { message: "Cache stampede", session: "m1", user: "x", at: T0 + 60_200_000 },
    ]);
    const target = await byTitle(t, "Cache miss storm");
    const source = await byTitle(t, "Cache stampede");
    const c = await roost.call("POST", issuePath(t, source.id, "/comments"), {
      token: t.token,
      body: { body: "same as the storm" },
    });
    expect(c.status).toBe(201);
    const merged = await roost.call("POST", issuePath(t, target.id, "/merge"), {
      token: t.token,
      body: { source_issue_id: source.id },
    });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({
      id: target.id,
      merged_issue_id: source.id,
      event_count: 3,
      occurrence_count: 2,
      unique_user_count: 2,
    });
    expect(merged.body.fingerprints).toHaveLength(2);
    expect((await roost.call("GET", issuePath(t, source.id), { token: t.token })).status).toBe(404);
    const comments = await roost.call("GET", issuePath(t, target.id, "/comments"), { token: t.token });
    expect(comments.body.comments.map((x: any) => [x.body, x.issue_id])).toEqual([
      ["same as the storm", target.id],
    ]);

    await send(t, [{ message: "Cache stampede", session: "m3", at: T0 + 70_000_000 }]);
    expect((await byTitle(t, "Cache miss storm")).event_count).toBe(4);
    const events = await roost.call("GET", `/v1/events/count?issue_id=${target.id}`, { token: t.token });
    expect(events.body.count).toBe(4);

    const self = await roost.call("POST", issuePath(t, target.id, "/merge"), {
      token: t.token,
      body: { source_issue_id: target.id },
    });
    expect([self.status, self.body.error]).toEqual([400, "Cannot merge an issue into itself"]);
    const gone = await roost.call("POST", issuePath(t, target.id, "/merge"), {
      token: t.token,
      body: { source_issue_id: source.id },
    });
    expect([gone.status, gone.body.error]).toEqual([404, "Source issue not found in this project"]);
    const none = await roost.call("POST", issuePath(t, target.id, "/merge"), { token: t.token, body: {} });
    expect([none.status, none.body.error]).toEqual([400, "source_issue_id is required"]);
  });

  test("comments: the author edits; others may not; an empty body is refused", async () => {
    const issue = await byTitle(t, "Cache miss storm");
    const mine = await roost.call("POST", issuePath(t, issue.id, "/comments"), {
      token: t.adminKey,
      body: { body: "agent note" },
    });
    expect(mine.body).toMatchObject({ author_type: "agent", body: "agent note", issue_id: issue.id });
    const edit = await roost.call("PATCH", issuePath(t, issue.id, `/comments/${mine.body.id}`), {
      token: t.token,
      body: { body: "not yours" },
    });
    expect([edit.status, edit.body.error]).toEqual([403, "Only the original author can edit this comment"]);
    const empty = await roost.call("POST", issuePath(t, issue.id, "/comments"), {
      token: t.token,
      body: { body: " " },
    });
    expect([empty.status, empty.body.error]).toEqual([400, "body is required"]);
    const del = await roost.call("DELETE", issuePath(t, issue.id, `/comments/${mine.body.id}`), {
      token: t.token,
    });
    expect(del.body).toEqual({ deleted: true });
  });
});

describe("lists", () => {
  test("sorts, filters and cursors walk every issue once", async () => {
    const all = await list(t, "?limit=200");
    for (const sort of ["last_seen", "first_seen", "events", "users", "sessions"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const page: any = await roost.call("GET", issuesPath(t, q), { token: t.token });
        expect(page.status).toBe(200);
        seen.push(...page.body.issues.map((i: any) => i.id));
        cursor = page.body.cursor;
      } while (cursor);
      expect(seen.sort()).toEqual(all.map((i) => i.id).sort());
    }
    const byEvents = await list(t, "?sort=events");
    expect(byEvents.map((i) => i.event_count)).toEqual(
      [...byEvents.map((i) => i.event_count)].sort((a, b) => b - a),
    );
    expect((await list(t, "?status=silenced")).map((i) => i.title)).toEqual(["Disk full"]);
    expect((await list(t, "?release=2.10.0")).map((i) => i.title)).toEqual(["Disk full"]);
    expect(await list(t, `?app_id=${crypto.randomUUID()}`)).toEqual([]);
    const team = await roost.call("GET", "/v1/issues", { token: t.token });
    expect(team.body.issues.length).toBe(all.length);
    expect(team.body.issues[0].project_name).toBe("Main");
    expect(all[0].days.length).toBeGreaterThanOrEqual(0);
  });

  test("bad queries are 400s that say what to fix", async () => {
    const cases: Array<[string, string]> = [
      ["?limit=0", "limit must be a whole number from 1 to 200"],
      ["?sort=title", "sort must be one of last_seen, first_seen, events, users, sessions"],
      ["?status=open", "status must be one of new, in_progress, resolved, silenced, regressed, snoozed"],
      ["?app_id=x", "app_id must be a UUID"],
      ["?cursor=abc", "Invalid cursor"],
      ["?is_dev=maybe", "is_dev must be true or false"],
    ];
    for (const [q, error] of cases) {
      const r = await roost.call("GET", issuesPath(t, q), { token: t.token });
      expect([q, r.status, r.body.error]).toEqual([q, 400, error]);
    }
    const page = await roost.call("GET", issuesPath(t, "?limit=1&sort=events"), { token: t.token });
    const misuse = await roost.call("GET", issuesPath(t, `?sort=users&cursor=${page.body.cursor}`), {
      token: t.token,
    });
    expect([misuse.status, misuse.body.error]).toEqual([400, "Invalid cursor"]);
    const occ = await roost.call("GET", issuePath(t, (await list(t))[0].id, "?occurrence_limit=500"), {
      token: t.token,
    });
    expect([occ.status, occ.body.error]).toEqual([
      400,
      "occurrence_limit must be a whole number from 1 to 200",
    ]);
  });
});

describe("security", () => {
  test("no credentials 401, a client key 403, another team's issues invisible", async () => {
    const issue = (await list(t))[0];
    expect((await roost.call("GET", issuesPath(t))).status).toBe(401);
    expect((await roost.call("GET", "/v1/issues")).status).toBe(401);
    const client = await roost.call("GET", issuesPath(t), { token: t.clientKey });
    expect(client.status).toBe(403);
    for (const path of [issuesPath(t), issuePath(t, issue.id)]) {
      const r = await roost.call("GET", path, { token: other.token });
      expect([r.status, r.body.error]).toEqual([404, "Project not found"]);
    }
    const patched = await roost.call("PATCH", issuePath(t, issue.id), {
      token: other.token,
      body: { status: "in_progress" },
    });
    expect(patched.status).toBe(404);
    expect((await roost.call("GET", "/v1/issues", { token: other.token })).body.issues).toEqual([]);
    const events = await roost.call("GET", `/v1/events?issue_id=${issue.id}`, { token: other.adminKey });
    expect(events.body.events).toEqual([]);
    // An issue of another project, through this project's path, is not found.
    const foreign = await roost.call("GET", `/v1/projects/${other.project.id}/issues/${issue.id}`, {
      token: other.token,
    });
    expect([foreign.status, foreign.body.error]).toEqual([404, "Issue not found"]);
  });
});

describe("attachments", () => {
  test("an issue's page lists the files uploaded with its errors", async () => {
    const r = await roost.call("POST", "/v1/ingest", {
      token: t.clientKey,
      body: {
        bundle_id: t.app.bundle_id,
        events: [
          {
            client_event_id: "with-log",
            session_id: "att",
            level: "error",
            message: "Crash in renderer",
            environment: "ios",
          },
        ],
      },
    });
    expect(r.body.accepted).toBe(1);
    const bytes = new TextEncoder().encode("Thread 0 crashed\n");
    const reserved = await roost.call("POST", "/v1/ingest/attachment", {
      token: t.clientKey,
      body: {
        client_event_id: "with-log",
        original_filename: "crash.log",
        content_type: "text/plain",
        size_bytes: bytes.length,
        sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
      },
    });
    expect(reserved.status).toBe(201);
    const url = new URL(reserved.body.upload_url);
    const put = await roost.call("PUT", `${url.pathname}${url.search}`, {
      token: t.clientKey,
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(put.status).toBeLessThan(300);
    await roost.issuesSettled();
    const issue = await byTitle(t, "Crash in renderer");
    const detail = await roost.call("GET", issuePath(t, issue.id), { token: t.token });
    expect(detail.body.attachments).toHaveLength(1);
    expect(detail.body.attachments[0]).toMatchObject({
      id: reserved.body.attachment_id,
      original_filename: "crash.log",
      content_type: "text/plain",
      size_bytes: bytes.length,
    });
    const other = await byTitle(t, "Disk full");
    expect((await roost.call("GET", issuePath(t, other.id), { token: t.token })).body.attachments).toEqual(
      [],
    );
  });
});

describe("imports", () => {
  test("an import that updates an error in place does not count it again", async () => {
    const imp = await roost.call("POST", "/v1/keys", {
      token: t.token,
      body: { kind: "import", name: "backfill", app_id: t.app.id },
    });
    const event = (message: string) => ({
      client_event_id: "imported-1",
      session_id: "imp",
      level: "error",
      message,
      environment: "ios",
      timestamp: new Date(T0 + 80_000_000).toISOString(),
    });
    for (const message of ["Import 1 broke", "Import 2 broke"]) {
      const r = await roost.call("POST", "/v1/import", {
        token: imp.body.secret,
        body: { bundle_id: t.app.bundle_id, events: [event(message)] },
      });
      expect(r.status).toBe(200);
      await roost.issuesSettled();
    }
    const issue = await byTitle(t, "Import 1 broke");
    expect(issue).toMatchObject({ event_count: 1, occurrence_count: 1 });
    const events = await roost.call("GET", `/v1/events/count?issue_id=${issue.id}`, { token: t.token });
    expect(events.body.count).toBe(1);
  });
});
