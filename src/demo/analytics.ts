import { newId } from "../lib/ids";
import { saveDefinition } from "../modules/analytics/repository";
import type { WriteTx } from "../store/db";
import {
  COUNTRIES,
  DEVICES,
  rhythm,
  SAMPLE_APPS,
  type SampleApp,
  type SampleEvent,
  sampleUuid,
  seeded,
  versionAt,
} from "./sample";

/**
 * The demo's metrics and funnel, as Owlmetry's SDKs send them (decision 012): photo uploads timed
 * from start to complete, fail or cancel (faster with each release, and 2.4.0 failing more), a
 * cache's hit rate recorded every half hour, search timings with no definition (listed all the
 * same), and new users going through onboarding under a paywall experiment whose `annual-first`
 * variant sells better than `control`.
 */

/** The apps (SAMPLE_APPS indexes) each kind of event comes from. */
const IOS = 0;
const ANDROID = 1;
const API = 2;

export const DEMO_METRICS = [
  {
    project: 0,
    name: "Photo upload",
    slug: "photo-upload",
    description: "From tapping Upload to the photo stored on the server",
    lifecycle: true,
  },
  {
    project: 1,
    name: "Cache hit rate",
    slug: "cache-hit-rate",
    description: "The API's caches, recorded every half hour",
    lifecycle: false,
  },
] as const;

export const DEMO_FUNNEL = {
  project: 0,
  name: "Onboarding",
  slug: "onboarding",
  description: "A new user's first session, up to the first purchase",
  steps: [
    ["Welcome", "welcome", "Welcome"],
    ["Sign up", "signup", "Signup"],
    ["First photo", "first-photo", "Camera"],
    ["Purchase", "purchase", "Paywall"],
  ],
} as const;

/** Median upload time and share of failed uploads per release (2.4.0 sends full-size photos). */
const UPLOADS: Record<string, { medianMs: number; failRate: number }> = {
  "2.3.0": { medianMs: 2400, failRate: 0.06 },
  "2.4.0": { medianMs: 1700, failRate: 0.12 },
  "2.4.1": { medianMs: 1100, failRate: 0.03 },
};
const UPLOAD_ERRORS = ["Network timeout", "Connection lost", "Photo library access denied"];
const CANCEL_RATE = 0.04;
/** Starts that never end (the app was killed): the page's "abandoned". */
const ABANDON_RATE = 0.015;
/** Of the users who posted a first photo, those who buy, per paywall variant. */
const PURCHASE_RATE: Record<string, number> = { control: 0.15, "annual-first": 0.4 };

/** Metric and step events over the `days` before `end` (epoch ms), in the shape of sampleEvents. */
export function* analyticsEvents(end: number, days: number, seed = 13): Generator<SampleEvent> {
  const r = seeded(seed);
  const start = end - days * 86_400_000;
  // A standard normal draw (Box-Muller), for log-normal durations.
  const normal = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const visit = (app: number, at: number, userId: string | null) => {
    const spec = SAMPLE_APPS[app] as SampleApp;
    return {
      app,
      sessionId: sampleUuid(r),
      userId,
      level: "info" as const,
      sourceModule: null,
      environment: spec.environment,
      appVersion: versionAt(at, start, days, r.next()),
      deviceModel: r.pick(DEVICES[spec.environment] as string[]),
      osVersion: spec.environment === "ios" ? "17.4" : spec.environment === "android" ? "14" : "linux",
      countryCode: r.pick(COUNTRIES),
      locale: "en_US",
      isDev: spec.platform !== "backend" && r.next() < 0.03,
    };
  };
  const event = (
    v: ReturnType<typeof visit>,
    timestamp: number,
    message: string,
    screenName: string | null,
    customAttributes: Record<string, string> | null,
    experiments: Record<string, string> | null = null,
  ): SampleEvent => ({
    ...v,
    clientEventId: sampleUuid(r),
    message,
    screenName,
    customAttributes,
    experiments,
    timestamp,
  });
  let newUsers = 0;
  for (let hour = start; hour < end; hour += 3_600_000) {
    const busy = rhythm(new Date(hour).getUTCHours());
    // The hours end at `end`, so a time within one is never in the future; what follows may be.
    const within = () => hour + r.int(3_600_000);

    for (let n = Math.round(6 * busy * (0.6 + 0.8 * r.next())); n > 0; n--) {
      const at = within();
      const v = visit(r.next() < 5 / 9 ? IOS : ANDROID, at, `user-${Math.floor(400 * r.next() ** 2)}`);
      const { medianMs, failRate } = UPLOADS[v.appVersion] as (typeof UPLOADS)[string];
      const ms = medianMs * (v.app === ANDROID ? 1.25 : 1) * Math.exp(0.55 * normal());
      const tracking_id = sampleUuid(r);
      yield event(v, at, "metric:photo-upload:start", "Upload", { tracking_id });
      const roll = r.next();
      const ended = (phase: string, duration: number, more: Record<string, string> = {}) => {
        const took = Math.round(duration);
        return at + took < end
          ? event(v, at + took, `metric:photo-upload:${phase}`, "Upload", {
              tracking_id,
              duration_ms: String(took),
              ...more,
            })
          : null;
      };
      let last: SampleEvent | null = null;
      if (roll < failRate) {
        const error =
          v.appVersion === "2.4.0" && r.next() < 0.5 ? "HTTP 413: photo too large" : r.pick(UPLOAD_ERRORS);
        last = ended("fail", error === "Network timeout" ? 15_000 : ms * 0.6, { error });
      } else if (roll < failRate + CANCEL_RATE) last = ended("cancel", ms * r.next());
      else if (roll >= failRate + CANCEL_RATE + ABANDON_RATE) last = ended("complete", ms);
      if (last) yield last;
    }

    for (let slot = hour; slot < hour + 3_600_000; slot += 1_800_000) {
      for (const [cache, typical] of [
        ["catalog", 0.92],
        ["sessions", 0.78],
      ] as const) {
        const at = slot + r.int(60_000);
        const rate = Math.min(1, typical + 0.04 * normal());
        yield event(visit(API, at, null), at, "metric:cache-hit-rate:record", null, {
          cache,
          hit_rate: rate.toFixed(3),
        });
      }
    }

    for (let n = Math.round(8 * busy * (0.6 + 0.8 * r.next())); n > 0; n--) {
      const at = within();
      yield event(visit(API, at, null), at, "metric:search:record", null, {
        duration_ms: String(Math.round(120 * Math.exp(0.7 * normal()))),
        results: String(r.int(50)),
      });
    }

    for (let n = Math.round(8 * busy * (0.6 + 0.8 * r.next())); n > 0; n--) {
      let at = within();
      const v = visit(r.next() < 5 / 9 ? IOS : ANDROID, at, `user-${1000 + newUsers++}`);
      const paywall = r.next() < 0.5 ? "control" : "annual-first";
      const step = (index: number) => {
        const [, name, screen] = DEMO_FUNNEL.steps[index] as (typeof DEMO_FUNNEL.steps)[number];
        return event(v, at, `step:${name}`, screen, null, { paywall });
      };
      const signedUp = r.next() < 0.7;
      // A few skip signing up and post a photo as a guest: open and closed funnels differ by them.
      const posted = r.next() < (signedUp ? 0.62 : 0.1);
      const bought = signedUp && posted && r.next() < (PURCHASE_RATE[paywall] as number);
      const done: SampleEvent[] = [step(0)];
      if (signedUp) {
        at += 20_000 + r.int(160_000);
        done.push(step(1));
      }
      if (posted) {
        at += 60_000 + r.int(1_200_000);
        done.push(step(2));
      }
      if (bought) {
        at += 120_000 + r.int(6 * 3_600_000);
        done.push(step(3));
      }
      yield* done.filter((e) => e.timestamp < end);
    }
  }
}

/** The demo's metric and funnel definitions, in the projects SAMPLE_PROJECTS made (in order). */
export async function addDemoDefinitions(tx: WriteTx, projectIds: readonly string[], at: Date) {
  const common = { created_at: at, updated_at: at, deleted_at: null };
  for (const m of DEMO_METRICS) {
    await saveDefinition(tx, "metric_definitions", {
      id: newId(),
      project_id: projectIds[m.project] as string,
      name: m.name,
      slug: m.slug,
      description: m.description,
      documentation: null,
      schema_definition: null,
      aggregation_rules: { lifecycle: m.lifecycle },
      status: "active",
      ...common,
    });
  }
  await saveDefinition(tx, "funnel_definitions", {
    id: newId(),
    project_id: projectIds[DEMO_FUNNEL.project] as string,
    name: DEMO_FUNNEL.name,
    slug: DEMO_FUNNEL.slug,
    description: DEMO_FUNNEL.description,
    steps: DEMO_FUNNEL.steps.map(([name, step_name]) => ({ name, event_filter: { step_name } })),
    ...common,
  });
}
