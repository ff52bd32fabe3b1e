import { eventId, newId } from "../lib/ids";
import { categoryOfLevel } from "../lib/vocab";
import { deriveOnCommit } from "../modules/analytics/derived";
import { createAppIn } from "../modules/apps/service";
import { insertAttachment, markUploaded } from "../modules/attachments/repository";
import type { FeedbackStatus } from "../modules/feedback/model";
import { insertFeedback } from "../modules/feedback/repository";
import { saveProperties } from "../modules/identity/repository";
import type { StoredEvent } from "../modules/pipeline/event";
import { appendEvents, appendOutcomes } from "../modules/pipeline/repository";
import { OutcomeTally } from "../modules/pipeline/tally";
import { createProjectIn } from "../modules/projects/service";
import { findTeamBySlug } from "../modules/teams/repository";
import { createTeamIn } from "../modules/teams/service";
import { insertMembership, ownerIds } from "../modules/users/repository";
import type { BlobStore } from "../store/blobs";
import type { Store, Tx } from "../store/db";
import { addDemoDefinitions, analyticsEvents } from "./analytics";
import { groupDemoIssues } from "./issues";
import {
  crashLog,
  SAMPLE_APPS,
  SAMPLE_FEEDBACK,
  SAMPLE_PROJECTS,
  type SampleApp,
  sampleEvents,
  seeded,
} from "./sample";

export const DEMO_SLUG = "demo";
const DAYS = 7;
const SESSIONS_PER_BUSY_HOUR = 12;

interface DemoApp {
  id: string;
  projectId: string;
  keyId: string;
  spec: SampleApp;
}

export interface DemoReport {
  team: string;
  events: number;
  attachments: number;
  outcomes: Record<string, number>;
  ms: number;
}

/**
 * Loads a week of sample telemetry into a `demo` team owned by every existing owner: three apps
 * in two projects, sessions, errors with crash logs, metrics and a funnel with their definitions,
 * and every outcome (accepted, filtered, rate limited, invalid, abuse, client discard), as ingest
 * would have recorded them. Returns null when the demo team exists already.
 */
export async function loadDemo(store: Store, blobs: BlobStore, now = Date.now()): Promise<DemoReport | null> {
  const started = performance.now();
  if (await findTeamBySlug(store, DEMO_SLUG)) return null;
  const end = now - 60_000;
  const r = seeded(11);
  const counts: Record<string, number> = {};
  return store.write(async (tx) => {
    const team = await createTeamIn(tx, "Demo", DEMO_SLUG);
    for (const userId of await ownerIds(tx)) await insertMembership(tx, team.id, userId, "owner");
    const projects: Array<{ id: string }> = [];
    for (const p of SAMPLE_PROJECTS) {
      projects.push(
        await createProjectIn(tx, team.id, {
          name: p.name,
          slug: p.slug,
          // The backend drops debug logs at the door: they show up as `filtered`.
          ...(p.slug === "backend" ? { filters: { levels: ["debug"] } } : {}),
        }),
      );
    }
    const apps: DemoApp[] = [];
    for (const spec of SAMPLE_APPS) {
      const project = projects[spec.project] as (typeof projects)[number];
      const { app, clientKey } = await createAppIn(
        tx,
        {
          projectId: project.id,
          teamId: team.id,
          name: spec.name,
          platform: spec.platform,
          bundleId: spec.bundleId,
        },
        null,
      );
      apps.push({ id: app.id, projectId: project.id, keyId: clientKey.id, spec });
    }

    const outcomes = new OutcomeTally();
    const count = (
      app: DemoApp,
      at: number,
      outcome: Parameters<OutcomeTally["count"]>[1],
      reason: string | null,
      category: string,
      quantity = 1,
    ) => {
      outcomes.add({
        projectId: app.projectId,
        keyId: app.keyId,
        at,
        outcome,
        reason,
        category,
        quantity,
        timesSeen: quantity,
      });
      counts[outcome] = (counts[outcome] ?? 0) + quantity;
    };
    // The busiest hour (noon UTC) two days ago ran into the Shop's quota, and one burst hit the
    // abuse limit. A fixed time of day, so the spike has every level in it whenever the demo loads.
    const spikeHour = Math.floor((end - 2 * 86_400_000) / 86_400_000) * 24 + 12;
    const abuseHour = Math.floor((end - 4.5 * 86_400_000) / 3_600_000);
    const sessionsSeen = new Set<string>();
    const stored: StoredEvent[] = [];
    const errors: StoredEvent[] = [];
    for (const e of [...sampleEvents(end, DAYS, SESSIONS_PER_BUSY_HOUR), ...analyticsEvents(end, DAYS)]) {
      const app = apps[e.app] as DemoApp;
      const receivedAt = e.timestamp + 500 + r.int(4_000);
      const category = categoryOfLevel(e.level);
      const hour = Math.floor(receivedAt / 3_600_000);
      if (app.spec.project === 1 && e.level === "debug") {
        count(app, receivedAt, "filtered", "level", category);
        continue;
      }
      if (hour === spikeHour && app.spec.project === 0 && r.next() < 0.6) {
        count(app, receivedAt, "rate_limited", "project_quota", category);
        continue;
      }
      const roll = r.next();
      if (roll < 0.01) {
        count(
          app,
          receivedAt,
          "invalid",
          r.pick(["invalid_timestamp", "invalid_message", "invalid_environment"]),
          category,
        );
        continue;
      }
      if (roll < 0.02) {
        count(app, receivedAt, "invalid", "duplicate", category);
        continue;
      }
      if (roll < 0.03) {
        count(
          app,
          receivedAt,
          "client_discard",
          r.pick(["queue_overflow", "network_error", "sample_rate"]),
          category,
        );
        continue;
      }
      const event: StoredEvent = {
        ...e,
        customAttributes: e.customAttributes ? JSON.stringify(e.customAttributes) : null,
        experiments: e.experiments ? JSON.stringify(e.experiments) : null,
        sdkName:
          app.spec.platform === "apple"
            ? "owlmetry-swift"
            : app.spec.platform === "android"
              ? "owlmetry-android"
              : "owlmetry-node",
        sdkVersion: "0.4.2",
        buildNumber: String(100 + r.int(20)),
        id: eventId(e.timestamp, app.projectId),
        appId: app.id,
        projectId: app.projectId,
        apiKeyId: app.keyId,
        receivedAt,
      };
      stored.push(event);
      count(app, receivedAt, "accepted", null, category);
      const firstOfSession = !sessionsSeen.has(e.sessionId);
      sessionsSeen.add(e.sessionId);
      outcomes.add({
        projectId: app.projectId,
        keyId: app.keyId,
        at: receivedAt,
        outcome: "accepted",
        reason: null,
        category: "session",
        quantity: 1,
        timesSeen: firstOfSession ? 1 : 0,
      });
      if (e.level === "error" && app.spec.project === 0) errors.push(event);
    }
    const abuser = apps[0] as DemoApp;
    for (let m = 0; m < 20; m++)
      count(abuser, abuseHour * 3_600_000 + m * 60_000, "abuse", "abuse_limit", "error", 40);
    await appendEvents(tx, stored);
    // As a commit of ingest would: a data directory derived before keeps every event derived.
    await deriveOnCommit(tx, stored, new Set());
    await addDemoDefinitions(
      tx,
      projects.map((p) => p.id),
      new Date(end - DAYS * 86_400_000),
    );

    let attachments = 0;
    for (const event of errors) {
      if (r.next() > 0.4) continue;
      const text = crashLog(event);
      const received = await blobs.receive(new Blob([text]).stream(), text.length * 4);
      blobs.keep(received);
      const id = newId();
      const at = new Date(event.receivedAt + 2_000);
      await insertAttachment(tx, {
        id,
        appId: event.appId,
        projectId: event.projectId,
        apiKeyId: event.apiKeyId,
        clientEventId: event.clientEventId,
        eventId: event.id,
        userId: event.userId,
        originalFilename: "crash.log",
        contentType: "text/plain",
        sizeBytes: received.size,
        sha256: received.sha256,
        isDev: event.isDev,
        createdAt: at,
        expiresAt: new Date(at.getTime() + 15 * 60_000),
      });
      await markUploaded(tx, id, at);
      outcomes.add({
        projectId: event.projectId,
        keyId: event.apiKeyId,
        at: at.getTime(),
        outcome: "accepted",
        reason: null,
        category: "attachment",
        quantity: received.size,
        timesSeen: 1,
      });
      attachments++;
    }
    await appendOutcomes(tx, outcomes.list());
    await addUsersAndFeedback(tx, apps, stored, end);
    await groupDemoIssues(
      tx,
      stored,
      projects.map((p) => p.id),
      new Date(end),
    );
    return {
      team: DEMO_SLUG,
      events: stored.length,
      attachments,
      outcomes: counts,
      ms: Math.round(performance.now() - started),
    };
  });
}

export function demoSummary(r: DemoReport): string {
  const outcomes = Object.entries(r.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return `Loaded team '${r.team}': ${r.events} events, ${r.attachments} crash logs; outcomes: ${outcomes} (${r.ms} ms). Every team owner is an owner of '${r.team}'.`;
}

/** Properties for the busiest users (plan, theme) and feedback sent from the mobile apps. */
async function addUsersAndFeedback(
  tx: Tx,
  apps: readonly DemoApp[],
  events: readonly StoredEvent[],
  end: number,
) {
  const seen = new Map<string, StoredEvent>();
  for (const e of events) if (e.userId && !seen.has(e.userId)) seen.set(e.userId, e);
  const users = [...seen.values()].slice(0, 40);
  for (const [i, e] of users.entries()) {
    const properties = { plan: ["free", "pro", "team"][i % 3] as string, theme: i % 2 ? "dark" : "light" };
    await saveProperties(tx, e.projectId, e.userId as string, properties, false, new Date(e.timestamp));
  }
  const mobile = apps.filter((a) => a.spec.platform !== "backend");
  for (const [i, [message, name, email, status]] of SAMPLE_FEEDBACK.entries()) {
    const app = mobile[i % mobile.length] as DemoApp;
    const user = users.filter((u) => u.appId === app.id)[i] ?? null;
    const at = new Date(end - (i + 1) * 7 * 3_600_000);
    await insertFeedback(tx, {
      id: newId(),
      appId: app.id,
      projectId: app.projectId,
      sessionId: null,
      userId: user?.userId ?? null,
      message,
      submitterName: name,
      submitterEmail: email,
      isDev: false,
      environment: app.spec.environment,
      osVersion: null,
      appVersion: "2.4.0",
      sdkName: app.spec.platform === "apple" ? "owlmetry-swift" : "owlmetry-android",
      sdkVersion: "1.4.0",
      deviceModel: null,
      countryCode: null,
      screenName: ["Checkout", "Search", "Product", "Settings", "Checkout", "Cart"][i] ?? null,
      clientEventId: null,
      createdAt: at,
      status: status as FeedbackStatus,
    });
  }
}
