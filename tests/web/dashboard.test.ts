import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { killServersAfterAll, type RunningServer, startServer, stopServer, tempDir } from "../support/server";

/**
 * The dashboard end to end, in Debian's Chromium (`.ci/run` installs it), against a real server
 * started with the demo week. Screenshots go to a temporary directory, or to docs/screenshots with
 * UPDATE_SCREENSHOTS=1 (how the README's pictures are made).
 */
// The functions handed to page.evaluate run in the browser; the test's own types have no DOM.
declare const document: any, location: any;
type HTMLElement = any;

const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "dashboard-test-password";
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dir, "../../docs/screenshots")
    : tempDir("roost-shots-");

const dir = tempDir("roost-web-");
let server: RunningServer;
let browser: Browser;
let page: Page;
let token: string;
let demo: { id: string; slug: string };

const api = async <T = any>(path: string, init: RequestInit = {}): Promise<T> => {
  const r = await fetch(`${server.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
  expect(r.status).toBeLessThan(300);
  return (await r.json()) as T;
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer(dir, {
    ROOST_ADMIN_PASSWORD: PASSWORD,
    ROOST_DEMO: "1",
    ROOST_LOG_LEVEL: "silent",
  });
  const login = await fetch(`${server.base}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@localhost", password: PASSWORD }),
  });
  token = ((await login.json()) as { token: string }).token;
  const me = await api<{ teams: Array<{ id: string; slug: string }> }>("/v1/auth/me");
  demo = me.teams.find((t) => t.slug === "demo") as { id: string; slug: string };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
  // Screenshots of an ordinary run are thrown away with their directory.
  if (process.env.UPDATE_SCREENSHOTS !== "1") rmSync(SHOTS, { recursive: true, force: true });
});

type Listed = {
  message: string;
  user_id: string | null;
  app_version: string | null;
  timestamp: string;
  custom_attributes: Record<string, string>;
  experiments: Record<string, string> | null;
};

/** Every event of a query (production, as the pages default to), page after page. */
async function allEvents(query: Record<string, string>): Promise<Listed[]> {
  const out: Listed[] = [];
  let cursor: string | null = null;
  do {
    const page: { events: Listed[]; cursor: string | null } = await api(
      `/v1/events?${new URLSearchParams({ ...query, limit: "200", ...(cursor ? { cursor } : {}) })}`,
    );
    out.push(...page.events);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

async function shopProject(): Promise<string> {
  const { projects } = await api<{ projects: Array<{ id: string; slug: string }> }>(
    `/v1/projects?team_id=${demo.id}`,
  );
  return (projects.find((p) => p.slug === "shop") as { id: string }).id;
}

/** The text of each cell of a table's rows that have `attr`, keyed by that attribute's value. */
const rowsOf = (table: string, attr: string) =>
  page.$$eval(
    `[data-testid=${table}] tbody tr[${attr}]`,
    (trs: HTMLElement[], a: string) =>
      Object.fromEntries(
        trs.map((tr) => [tr.getAttribute(a), [...tr.querySelectorAll("td")].map((td) => td.textContent)]),
      ),
    attr,
  ) as Promise<Record<string, string[]>>;

/** Owlmetry's success rate: complete / (complete + fail), a percentage with two decimals. */
const successRate = (complete: number, fail: number) =>
  `${Math.round((complete / (complete + fail)) * 100 * 100) / 100}%`;

async function signIn(password = PASSWORD) {
  await page.goto(`${server.base}/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.fill("input[name=email]", "admin@localhost");
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
}

describe("the dashboard", () => {
  test("a wrong password shows the login error", async () => {
    await signIn("not-the-password");
    await expect(page.textContent("[data-testid=login-error]", { timeout: 5000 })).resolves.toBe(
      "Invalid email or password",
    );
  }, 30_000);

  test("Stats: the bars and totals are the API's numbers for the demo week", async () => {
    await signIn();
    await page.waitForSelector("header");
    await page.goto(`${server.base}/#/stats?team=${demo.id}&period=7d`);
    await page.waitForSelector("[data-testid=stats-chart] canvas");
    const stats = await api<{
      intervals: string[];
      groups: Array<{
        by: { outcome: string };
        totals: Record<string, number>;
        series: Record<string, number[]>;
      }>;
    }>(
      `/api/0/organizations/${demo.slug}/stats_v2/?field=sum(quantity)&groupBy=outcome&category=error&statsPeriod=7d&interval=1h`,
    );
    const outcomes = stats.groups.map((g) => g.by.outcome).sort();
    expect(outcomes).toEqual(["abuse", "accepted", "client_discard", "filtered", "invalid", "rate_limited"]);
    // The page may still show the previous team's chart: wait for the demo's six outcomes to be drawn.
    await page.waitForFunction(() => {
      const el: { plot?: { series: unknown[] } } | null = document.querySelector("[data-testid=stats-chart]");
      return el?.plot?.series.length === 7;
    });

    // The chart draws running totals, tallest first: take them apart again into each outcome's bars.
    const drawn = await page.evaluate(() => {
      const el: { plot: { data: number[][]; series: Array<{ label: string }> } } =
        document.querySelector("[data-testid=stats-chart]");
      return { data: el.plot.data, labels: el.plot.series.map((s) => s.label) };
    });
    expect(drawn.data[0]).toEqual(stats.intervals.map((t) => Date.parse(t) / 1000));
    const label: Record<string, string> = {
      accepted: "Accepted",
      filtered: "Filtered",
      rate_limited: "Rate limited",
      invalid: "Invalid",
      abuse: "Abuse",
      client_discard: "Client discard",
    };
    const order = ["accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard"];
    const runningOf = (outcome: string) =>
      drawn.data[drawn.labels.indexOf(label[outcome] as string)] as number[];
    let below = stats.intervals.map(() => 0);
    for (const outcome of order) {
      const running = runningOf(outcome);
      const bars = running.map((v, i) => v - (below[i] as number));
      const api = stats.groups.find((g) => g.by.outcome === outcome)?.series["sum(quantity)"];
      expect(bars).toEqual(api as number[]);
      below = running;
    }
    for (const g of stats.groups) {
      const shown = await page.textContent(
        `[data-testid=stats-totals] [data-outcome=${g.by.outcome}] strong`,
      );
      expect(Number(shown?.replaceAll(",", ""))).toBe(g.totals["sum(quantity)"] as number);
    }
    // Hovering a bar shows its numbers in the legend.
    const busiest = (
      stats.groups.find((g) => g.by.outcome === "accepted")?.series["sum(quantity)"] ?? []
    ).reduce((best, v, i, all) => (v > (all[best] as number) ? i : best), 0);
    const over = await page.evaluate((i) => {
      const el = document.querySelector("[data-testid=stats-chart]") as HTMLElement & {
        plot: { valToPos(v: number, s: string): number; data: number[][]; over: HTMLElement };
      };
      const x = el.plot.valToPos(el.plot.data[0]?.[i] as number, "x");
      const r = el.plot.over.getBoundingClientRect();
      return { x: r.left + x, y: r.top + r.height - 5 };
    }, busiest);
    await page.mouse.move(over.x, over.y);
    const accepted = stats.groups.find((g) => g.by.outcome === "accepted")?.series["sum(quantity)"]?.[
      busiest
    ] as number;
    await expect(page.locator(".u-legend").textContent()).resolves.toContain(
      `Accepted${accepted.toLocaleString("en-US")}`,
    );
    await page.screenshot({ path: join(SHOTS, "stats.png") });
  }, 60_000);

  test("Stats: a category that arrives from a Sentry SDK (logs) appears in the picker and charts", async () => {
    const projects = await api<{ projects: Array<{ id: string; team_id: string }> }>("/v1/projects");
    const project = projects.projects.find((p) => p.team_id === demo.id) as { id: string };
    const app = await api<{ client_key: { dsn: string } }>("/v1/apps", {
      method: "POST",
      body: JSON.stringify({ project_id: project.id, name: "sentry-logs", platform: "backend" }),
    });
    const dsn = new URL(app.client_key.dsn);
    const logs = {
      items: [1, 2, 3].map((n) => ({ timestamp: Date.now() / 1000, level: "info", body: `log ${n}` })),
    };
    const sent = await fetch(`${server.base}/api${dsn.pathname}/envelope/?sentry_key=${dsn.username}`, {
      method: "POST",
      body: `{}\n{"type":"log"}\n${JSON.stringify(logs)}`,
    });
    expect(sent.status).toBe(200);

    await signIn();
    await page.waitForSelector("header");
    await page.goto(`${server.base}/#/stats?team=${demo.id}&period=24h`);
    await page.waitForSelector("select[aria-label=Category] option[value=log_item]", { state: "attached" });
    expect(await page.textContent("select[aria-label=Category] option[value=log_item]")).toBe("Logs");
    await page.selectOption("select[aria-label=Category]", "log_item");
    await page.waitForFunction(
      () =>
        document.querySelector("[data-testid=stats-totals] [data-outcome=accepted] strong")?.textContent ===
        "3",
      undefined,
      { timeout: 10_000 },
    );
  }, 60_000);

  test("Events: filter by level and user, page through by scrolling, the filters live in the URL", async () => {
    const errors = await api<{ count: number }>(`/v1/events/count?team_id=${demo.id}&level=error`);
    expect(errors.count).toBeGreaterThan(50); // more than one page
    await page.goto(`${server.base}/#/events?team=${demo.id}`);
    await page.waitForSelector("[data-testid=events-table] tbody tr");
    for (const level of ["debug", "info", "warn"]) await page.uncheck(`input[name=level][value=${level}]`);
    await page.click("form.filters button[type=submit]");
    await page.waitForFunction(() => location.hash.includes("level=error"));
    await page.waitForFunction(
      (n) =>
        document
          .querySelector("[data-testid=events-count]")
          ?.textContent?.startsWith(`${n.toLocaleString("en-US")} events`),
      errors.count,
    );
    // Scroll until the end: every error event, each once.
    for (let i = 0; i < 30; i++) {
      const end = await page.textContent(".sentinel");
      if (end === "End of results") break;
      await page.locator(".sentinel").scrollIntoViewIfNeeded();
      await page.waitForTimeout(150);
    }
    expect(await page.textContent(".sentinel")).toBe("End of results");
    const levels = await page.$$eval("[data-testid=events-table] tbody tr td:nth-child(2)", (tds) =>
      tds.map((t) => t.textContent),
    );
    expect(levels).toHaveLength(errors.count);
    expect(new Set(levels)).toEqual(new Set(["error"]));
    const ids = await page.$$eval("[data-testid=events-table] tbody tr", (trs) =>
      trs.map((t) => t.getAttribute("data-id")),
    );
    expect(new Set(ids).size).toBe(ids.length);

    const someone = (
      await api<{ events: Array<{ user_id: string | null }> }>(
        `/v1/events?team_id=${demo.id}&level=error&limit=200`,
      )
    ).events.find((e) => e.user_id)?.user_id as string;
    await page.fill("input[name=user_id]", someone);
    await page.click("form.filters button[type=submit]");
    await page.waitForFunction((u) => location.hash.includes(`user_id=${u}`), someone);
    const theirs = await api<{ count: number }>(
      `/v1/events/count?team_id=${demo.id}&level=error&user_id=${someone}`,
    );
    await page.waitForFunction(
      (n) => document.querySelector("[data-testid=events-count]")?.textContent?.startsWith(`${n} events`),
      theirs.count,
    );
    await page.reload(); // a shared link shows the same view
    // The count and the first page are separate requests: wait for both to be on screen.
    await page.waitForFunction(
      (n) =>
        document.querySelector("[data-testid=events-count]")?.textContent?.startsWith(`${n} events`) &&
        document.querySelectorAll("[data-testid=events-table] tbody tr").length === n,
      theirs.count,
    );
    const users = await page.$$eval("[data-testid=events-table] tbody tr td:nth-child(6)", (tds) =>
      tds.map((t) => t.textContent),
    );
    expect(users).toHaveLength(theirs.count);
    expect(new Set(users)).toEqual(new Set([someone]));
    expect(await page.inputValue("input[name=user_id]")).toBe(someone);
  }, 60_000);

  test("Events: open an event and download its crash log", async () => {
    const [attachment] = (
      await api<{ attachments: Array<{ id: string; event_id: string; size_bytes: number }> }>(
        "/v1/attachments?limit=1",
      )
    ).attachments;
    expect(attachment).toBeDefined();
    await page.goto(`${server.base}/#/events?team=${demo.id}&level=error&event=${attachment?.event_id}`);
    await page.waitForSelector("[data-testid=event-panel] h2");
    expect(await page.textContent("[data-testid=event-panel]")).toContain(attachment?.event_id as string);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("text=Download crash.log"),
    ]);
    const saved = join(dir, "downloaded.log");
    await download.saveAs(saved);
    const detail = await api<{ download_url: string }>(`/v1/attachments/${attachment?.id}`);
    const expected = await (await fetch(detail.download_url.replace(/^http:\/\/[^/]+/, server.base))).text();
    expect(readFileSync(saved, "utf8")).toBe(expected);
    expect(expected.length).toBe(attachment?.size_bytes as number);
    await page.screenshot({ path: join(SHOTS, "events.png") });
  }, 60_000);

  test("Events: an event's panel shows its user's properties and links to the user's events", async () => {
    const { users } = await api<{
      users: Array<{ user_id: string; project_id: string; properties: Record<string, string> }>;
    }>(`/v1/app-users?team_id=${demo.id}&data_mode=all&limit=200`);
    const user = users.find((u) => u.properties?.plan);
    expect(user).toBeDefined();
    const { events } = await api<{ events: Array<{ id: string }> }>(
      `/v1/events?${new URLSearchParams({ project_id: user?.project_id as string, user_id: user?.user_id as string, limit: "1" })}`,
    );
    await page.goto(`${server.base}/#/events?team=${demo.id}&event=${events[0]?.id}`);
    // The panel of the page's previous event may still be on screen: wait for this user's
    // properties to be shown (a timeout here is the failure).
    const expected = [`All events of ${user?.user_id}`, `plan${user?.properties.plan}`];
    await page.waitForFunction(
      (texts: string[]) => {
        const text = document.querySelector("[data-testid=user-section]")?.textContent ?? "";
        return texts.every((t) => text.includes(t));
      },
      expected,
      { timeout: 10_000 },
    );
    await page.click(`text=All events of ${user?.user_id}`);
    await page.waitForFunction(
      (id: string) => location.hash.includes(`user_id=${id}`),
      user?.user_id as string,
    );
    // The table reloads for the new filter: wait until it shows rows, all of this user's (a
    // timeout here is the failure).
    await page.waitForFunction(
      (id: string) => {
        const cells = [...document.querySelectorAll("[data-testid=events-table] tbody tr td:nth-child(6)")];
        return cells.length > 0 && cells.every((c: HTMLElement) => c.textContent === id);
      },
      user?.user_id as string,
      { timeout: 10_000 },
    );
  }, 60_000);

  test("Feedback: the demo's feedback, a status change and a comment, as the API has them", async () => {
    await page.goto(`${server.base}/#/feedback?team=${demo.id}`);
    await page.waitForSelector("[data-testid=feedback-table] tbody tr");
    const listed = await api<{ feedback: Array<{ id: string; message: string; project_id: string }> }>(
      `/v1/feedback?team_id=${demo.id}`,
    );
    const rows = await page.$$eval(
      "[data-testid=feedback-table] tbody tr",
      (trs: HTMLElement[]) => trs.length,
    );
    expect(rows).toBe(listed.feedback.length);
    const first = listed.feedback[0] as { id: string; message: string; project_id: string };
    await page.click(`[data-testid=feedback-table] >> text=${first.message.slice(0, 30)}`);
    await page.waitForSelector("[data-testid=feedback-panel] h2");
    await page.selectOption("[data-testid=feedback-panel] select[aria-label=Status]", "addressed");
    await page.fill("[data-testid=comment-form] input", "Fixed in 2.4.1");
    await page.click("[data-testid=comment-form] button");
    await page.waitForSelector("[data-testid=feedback-panel] .comments li");
    const detail = await api<{ status: string; comments: Array<{ body: string }> }>(
      `/v1/projects/${first.project_id}/feedback/${first.id}`,
    );
    expect(detail.status).toBe("addressed");
    expect(detail.comments.map((c) => c.body)).toEqual(["Fixed in 2.4.1"]);
    await page.screenshot({ path: join(SHOTS, "feedback.png") });
  }, 60_000);

  test("Issues: the demo's issues in their states, one opened with its days, frames and events, then resolved", async () => {
    type ListedIssue = { id: string; title: string; status: string; project_id: string; event_count: number };
    const listed = await api<{ issues: ListedIssue[] }>(`/v1/issues?team_id=${demo.id}&sort=events`);
    const statuses = new Set(listed.issues.map((i) => i.status));
    for (const status of ["new", "in_progress", "regressed", "resolved", "snoozed", "silenced"]) {
      expect([status, statuses.has(status)]).toEqual([status, true]);
    }
    await page.goto(`${server.base}/#/issues?team=${demo.id}&sort=events`);
    await page.waitForSelector("[data-testid=issues-table] tbody tr");
    const titles = await page.$$eval(
      "[data-testid=issues-table] tbody tr td:first-child",
      (tds: HTMLElement[]) => tds.map((td) => td.textContent),
    );
    expect(titles.length).toBe(listed.issues.length);
    expect(titles[0]).toContain(listed.issues[0]?.title);
    const sparklines = await page.$$eval(
      "[data-testid=issues-table] svg.sparkline",
      (svgs: HTMLElement[]) => svgs.length,
    );
    expect(sparklines).toBe(listed.issues.length);

    // The status filter lives in the URL.
    await page.selectOption("select[aria-label=Status]", "regressed");
    await page.waitForFunction(() => location.hash.includes("status=regressed"));
    await page.waitForFunction(
      (n: number) => document.querySelectorAll("[data-testid=issues-table] tbody tr").length === n,
      listed.issues.filter((i) => i.status === "regressed").length,
    );
    await page.selectOption("select[aria-label=Status]", "");

    const top = listed.issues.find((i) => i.status === "new") as ListedIssue;
    await page.goto(`${server.base}/#/issues?team=${demo.id}&sort=events&issue=${top.id}`);
    await page.waitForSelector("[data-testid=issue-panel] [data-testid=issue-days] rect");
    await page.waitForSelector("[data-testid=latest-event] [data-testid=frames]");
    expect(await page.textContent("[data-testid=latest-event] [data-testid=frames]")).toContain(
      "CartViewModel.submit()",
    );
    const files = await api<{ attachments: unknown[] }>(`/v1/projects/${top.project_id}/issues/${top.id}`);
    await page.waitForFunction(
      (n: number) => document.querySelectorAll("[data-testid=issue-attachments] li").length === n,
      files.attachments.length,
    );
    await page.screenshot({ path: join(SHOTS, "issues.png") });
    await page.fill("input[aria-label='Fixed in version']", "2.5.0");
    await page.click("[data-testid=issue-actions] button[type=submit]");
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=issue-panel] .status")?.textContent?.includes("Resolved"),
    );
    const detail = await api<{ status: string; resolved_at_version: string }>(
      `/v1/projects/${top.project_id}/issues/${top.id}`,
    );
    expect(detail).toMatchObject({ status: "resolved", resolved_at_version: "2.5.0" });

    // Its events, through the explorer's issue filter.
    await page.click("text=All its events in the explorer");
    await page.waitForSelector("[data-testid=events-table] tbody tr");
    const count = await api<{ count: number }>(`/v1/events/count?issue_id=${top.id}&data_mode=all`);
    await page.waitForFunction(
      (n: number) =>
        document
          .querySelector("[data-testid=events-count]")
          ?.textContent?.startsWith(`${n.toLocaleString()} events`),
      count.count,
    );
    expect(count.count).toBe(top.event_count);
  }, 60_000);

  test("Metrics: the demo's metrics with their events' counts, photo uploads opened by day, error and version", async () => {
    // The photo uploads straight from the stored events (the demo sends them from the Upload
    // screen), not through the metrics API the page reads.
    const shop = await shopProject();
    const uploads = await allEvents({ project_id: shop, screen_name: "Upload", since: "30d" });
    const phase = (p: string, of = uploads) => of.filter((e) => e.message === `metric:photo-upload:${p}`);
    const [complete, fail] = [phase("complete").length, phase("fail").length];
    expect(complete).toBeGreaterThan(100);
    expect(fail).toBeGreaterThan(10);

    await page.goto(`${server.base}/#/metrics?team=${demo.id}&period=30d`);
    await page.waitForSelector("[data-testid=metrics-table] tr[data-slug=search]");
    const listed = await rowsOf("metrics-table", "data-slug");
    // Metric, project, kind, completions, failures, success rate.
    expect(listed["photo-upload"]).toEqual([
      "Photo upload photo-upload",
      "Shop",
      "Lifecycle",
      complete.toLocaleString("en-US"),
      fail.toLocaleString("en-US"),
      successRate(complete, fail),
    ]);
    expect(listed["cache-hit-rate"]?.slice(0, 3)).toEqual([
      "Cache hit rate cache-hit-rate",
      "Backend",
      "Single-shot",
    ]);
    expect(listed.search?.slice(0, 3)).toEqual(["search searchno definition", "Backend", "—"]);

    await page.click("[data-testid=metrics-table] tr[data-slug=photo-upload]");
    await page.waitForFunction(() => location.hash.includes("metric=photo-upload"));
    await page.waitForSelector("[data-testid=metric-chart] canvas");
    await page.waitForSelector("[data-testid=metric-versions] tbody tr");
    const figure = (key: string) =>
      page.textContent(`[data-testid=metric-totals] [data-figure=${key}] strong`);
    expect(await figure("start")).toBe(phase("start").length.toLocaleString("en-US"));
    expect(await figure("complete")).toBe(complete.toLocaleString("en-US"));
    expect(await figure("fail")).toBe(fail.toLocaleString("en-US"));
    expect(await figure("cancel")).toBe(phase("cancel").length.toLocaleString("en-US"));
    expect(await figure("success")).toBe(successRate(complete, fail));
    // Abandoned: starts over an hour old whose upload never ended.
    const ended = new Set(
      uploads.filter((e) => !e.message.endsWith(":start")).map((e) => e.custom_attributes.tracking_id),
    );
    const abandoned = phase("start").filter(
      (e) => !ended.has(e.custom_attributes.tracking_id) && Date.parse(e.timestamp) < Date.now() - 3_600_000,
    );
    expect(abandoned.length).toBeGreaterThan(0);
    expect(await figure("abandoned")).toBe(abandoned.length.toLocaleString("en-US"));

    // The chart: p50, p90, p95, p99 and the success rate, one point per day from the first upload's.
    const days = uploads.map((e) => Math.floor(Date.parse(e.timestamp) / 86_400_000));
    const drawn = await page.evaluate(() => {
      const el: { plot: { data: number[][]; series: Array<{ label: string }> } } = document.querySelector(
        "[data-testid=metric-chart]",
      );
      return { times: el.plot.data[0], labels: el.plot.series.map((s) => s.label) };
    });
    expect(drawn.labels).toEqual(["Time", "p50", "p90", "p95", "p99", "Success rate"]);
    expect(drawn.times?.[0]).toBe(Math.min(...days) * 86_400);
    expect(drawn.times?.length).toBe(Math.max(...days) - Math.min(...days) + 1);

    // The most frequent error, and each release's completions and failures.
    const errors = new Map<string, number>();
    for (const e of phase("fail"))
      errors.set(
        e.custom_attributes.error as string,
        (errors.get(e.custom_attributes.error as string) ?? 0) + 1,
      );
    const [top] = [...errors].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(await page.textContent("[data-testid=metric-errors] tbody tr")).toBe(`${top?.[0]}${top?.[1]}`);
    const versions = await rowsOf("metric-versions", "data-version");
    expect(Object.keys(versions)).toEqual(["2.4.1", "2.4.0", "2.3.0"]);
    for (const [version, cells] of Object.entries(versions)) {
      const of = uploads.filter((e) => e.app_version === version);
      expect([version, cells[2], cells[3]]).toEqual([
        version,
        phase("complete", of).length.toLocaleString("en-US"),
        phase("fail", of).length.toLocaleString("en-US"),
      ]);
    }
    await page.screenshot({ path: join(SHOTS, "metrics.png") });
  }, 60_000);

  test("Funnels: onboarding's users per step, open and closed, by paywall variant; a new funnel from the editor", async () => {
    // Each onboarding step is sent from its own screen: the users per step straight from the events.
    const shop = await shopProject();
    const steps = ["Welcome", "Signup", "Camera", "Paywall"];
    const byScreen = await Promise.all(
      steps.map((screen) => allEvents({ project_id: shop, screen_name: screen, since: "30d" })),
    );
    const users = (events: Listed[], variant?: string) =>
      new Set(events.filter((e) => !variant || e.experiments?.paywall === variant).map((e) => e.user_id))
        .size;
    const n = (count: number) => count.toLocaleString("en-US");

    await page.goto(`${server.base}/#/funnels?team=${demo.id}&period=30d`);
    await page.waitForSelector("[data-testid=funnels-table] tr[data-slug=onboarding]");
    expect(await page.textContent("[data-testid=funnels-table] tr[data-slug=onboarding]")).toContain(
      "Welcome → Sign up → First photo → Purchase",
    );
    await page.click("[data-testid=funnels-table] tr[data-slug=onboarding]");
    await page.waitForSelector("[data-testid=funnel-table] tbody tr");
    // Open (the default): a step counts whoever did it or a later one, so the first counts everyone.
    const open = await rowsOf("funnel-table", "data-step");
    expect(open["0"]?.[1]).toBe(n(users(byScreen.flat())));
    expect(open["3"]?.[1]).toBe(n(users(byScreen[3] as Listed[])));

    // Side by side per paywall variant: annual-first sells better.
    await page.selectOption("select[aria-label='Group by']", "experiment:paywall");
    await page.waitForFunction(() => location.hash.includes("group=experiment%3Apaywall"));
    await page.waitForSelector("[data-testid=funnel-table] tr[data-group=control]");
    const usersCell = (step: number, variant: string) =>
      `[data-testid=funnel-table] tr[data-step="${step}"][data-group=${variant}] td:nth-child(3)`;
    const bought = { control: 0, "annual-first": 0 };
    for (const variant of ["control", "annual-first"] as const) {
      bought[variant] = users(byScreen[3] as Listed[], variant);
      expect(await page.textContent(usersCell(3, variant))).toBe(n(bought[variant]));
      expect(await page.$$(`[data-testid=funnel-chart] .bar[data-group=${variant}]`)).toHaveLength(4);
    }
    expect(bought["annual-first"]).toBeGreaterThan(bought.control * 1.5);
    await page.screenshot({ path: join(SHOTS, "funnels.png") });

    // Closed: in order from the first step, so the first counts those who were welcomed.
    await page.click("fieldset[aria-label=Mode] >> text=Closed");
    await page.waitForFunction(() => location.hash.includes("funnel_mode=closed"));
    for (const variant of ["control", "annual-first"]) {
      await page.waitForFunction(
        ([cell, text]) => document.querySelector(cell)?.textContent === text,
        [usersCell(0, variant), n(users(byScreen[0] as Listed[], variant))],
        { timeout: 10_000 },
      );
    }

    // A new funnel: the server's error for a slug in use, then saved with its steps reordered.
    await page.click("text=New funnel");
    await page.selectOption("[data-testid=funnel-editor] select[aria-label=Project]", shop);
    await page.fill("input[aria-label=Name]", "Activation");
    expect(await page.inputValue("input[aria-label=Slug]")).toBe("activation");
    await page.fill("input[aria-label=Slug]", "onboarding");
    await page.fill("input[aria-label='Step 1 name']", "Welcome");
    await page.fill("input[aria-label='Step 1 step_name']", "welcome");
    for (const [i, name, step] of [
      [2, "Purchase", "purchase"],
      [3, "First photo", "first-photo"],
      [4, "Spare", ""],
    ] as const) {
      await page.click("text=Add step");
      await page.fill(`input[aria-label='Step ${i} name']`, name);
      await page.fill(`input[aria-label='Step ${i} step_name']`, step);
    }
    await page.click("button[aria-label='Remove step 4']");
    await page.click("button[aria-label='Move step 3 up']");
    await page.click("text=Save funnel");
    expect(await page.textContent("[data-testid=funnel-error]", { timeout: 5000 })).toBe(
      "A funnel with this slug already exists in this project",
    );
    await page.fill("input[aria-label=Slug]", "activation");
    await page.click("text=Save funnel");
    await page.waitForSelector("[data-testid=funnels-table] tr[data-slug=activation]");
    await page.waitForFunction(() => location.hash.includes("funnel=activation"));
    expect(await page.textContent("[data-testid=funnels-table] tr[data-slug=activation]")).toContain(
      "Welcome → First photo → Purchase",
    );
    const saved = await api<{ steps: unknown[] }>(`/v1/projects/${shop}/funnels/activation`);
    expect(saved.steps).toEqual([
      { name: "Welcome", event_filter: { step_name: "welcome" } },
      { name: "First photo", event_filter: { step_name: "first-photo" } },
      { name: "Purchase", event_filter: { step_name: "purchase" } },
    ]);
    await page.waitForSelector("[data-testid=funnel-detail] [data-testid=funnel-table] tbody tr");
  }, 60_000);

  test("Settings: a new app's client key comes with its Sentry DSN, which a Sentry envelope can use", async () => {
    await page.goto(`${server.base}/#/settings?team=${demo.id}`);
    await page.waitForSelector("[data-testid=apps-table] tbody tr");
    await page.fill("input[aria-label='App name']", "from sentry");
    await page.selectOption("select[aria-label=Platform]", "backend");
    await page.click("text=Create app");
    const dsn = (await page.textContent("[data-testid=dsn]", { timeout: 5000 })) as string;
    const secret = (await page.textContent("[data-testid=secret]")) as string;
    const url = new URL(dsn);
    expect(url.username).toBe(secret);
    expect(await page.textContent("[data-testid=secret-box]")).toContain(`Sentry.init({ dsn: "${dsn}" });`);
    const sent = await fetch(`${server.base}/api${url.pathname}/envelope/?sentry_key=${url.username}`, {
      method: "POST",
      body: `{}\n{"type":"event"}\n{"message":"hello from the DSN","level":"error"}`,
    });
    expect(sent.status).toBe(200);
    await page.click("[data-testid=secret-box] >> text=Done");
  }, 60_000);

  test("Settings: a new key's secret is shown once, and works", async () => {
    await page.goto(`${server.base}/#/settings?team=${demo.id}`);
    await page.waitForSelector("[data-testid=keys-table] tbody tr");
    await page.fill("input[name=name][aria-label='Key name']", "from the dashboard");
    await page.click("[data-testid=key-form] button[type=submit]");
    const secret = (await page.textContent("[data-testid=secret]", { timeout: 5000 })) as string;
    expect(secret).toMatch(/^owl_agent_[0-9a-f]{48}$/);
    await page.screenshot({ path: join(SHOTS, "settings.png") });
    const me = await fetch(`${server.base}/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
    await page.click("[data-testid=secret-box] >> text=Done");
    await page.waitForSelector("[data-testid=secret-box]", { state: "detached" });
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.waitForSelector("[data-testid=keys-table] tbody tr");
    expect(await page.textContent("[data-testid=keys-table]")).toContain("from the dashboard");
    expect(await page.content()).not.toContain(secret);
  }, 60_000);
});

// Last: afterAll hooks run in the order they are registered, and this file's own come first.
killServersAfterAll();
