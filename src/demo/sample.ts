import type { Level } from "../lib/vocab";

/**
 * A realistic week of app telemetry, generated from a seed so every load is the same shape: users
 * who come back, sessions of a few to a few dozen events, a daily rhythm, rare errors that come
 * with crash logs, and a few releases.
 */
export interface SampleApp {
  name: string;
  platform: "apple" | "android" | "backend";
  environment: string;
  bundleId: string | null;
  project: 0 | 1;
  /** Relative traffic. */
  weight: number;
}

export const SAMPLE_PROJECTS = [
  { name: "Shop", slug: "shop" },
  { name: "Backend", slug: "backend" },
] as const;

export const SAMPLE_APPS: readonly SampleApp[] = [
  {
    name: "Shop iOS",
    platform: "apple",
    environment: "ios",
    bundleId: "com.demo.shop",
    project: 0,
    weight: 5,
  },
  {
    name: "Shop Android",
    platform: "android",
    environment: "android",
    bundleId: "com.demo.shop.android",
    project: 0,
    weight: 4,
  },
  { name: "API", platform: "backend", environment: "backend", bundleId: null, project: 1, weight: 3 },
];

const SCREENS = ["Home", "Search", "Product", "Cart", "Checkout", "Settings"];
export const DEVICES: Record<string, string[]> = {
  ios: ["iPhone15,2", "iPhone16,1", "iPhone14,5", "iPad13,4"],
  android: ["Pixel 8", "SM-S911B", "Pixel 7a", "moto g54"],
  backend: ["x86_64"],
};
const VERSIONS = ["2.3.0", "2.4.0", "2.4.1"];
export const COUNTRIES = ["US", "DE", "GB", "FR", "JP", "BR", "IN"];
const ERRORS = [
  "Checkout failed: payment declined",
  "Image decode failed for product thumbnail",
  "Timeout talking to /v1/cart",
  "Unexpected nil in CartViewModel",
  "Database is locked",
];
const WARNINGS = ["Slow frame rendering on Product", "Retrying request after 503", "Low memory warning"];

/** Deterministic random numbers (mulberry32). */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

/** A version 4 UUID drawn from `r`. */
export function sampleUuid(r: ReturnType<typeof seeded>): string {
  const hex = () => r.int(0x100000000).toString(16).padStart(8, "0");
  return `${hex()}-${hex().slice(0, 4)}-4${hex().slice(0, 3)}-a${hex().slice(0, 3)}-${hex()}${hex().slice(0, 4)}`;
}

/** How busy an hour of the day (UTC) is, 0.25 to 1: quiet at night, busiest in the evening. */
export const rhythm = (hour: number) => 0.25 + 0.75 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI));

/** The release a session at `at` runs: the week moves from the oldest to the newest, a few late. */
export const versionAt = (at: number, start: number, days: number, jitter: number) =>
  VERSIONS[
    Math.min(VERSIONS.length - 1, Math.floor(((at - start) / (days * 86_400_000)) * 3 + jitter * 0.5))
  ] as string;

export interface SampleEvent {
  app: number;
  clientEventId: string;
  sessionId: string;
  userId: string | null;
  level: Level;
  message: string;
  screenName: string | null;
  sourceModule: string | null;
  customAttributes: Record<string, string> | null;
  experiments: Record<string, string> | null;
  environment: string;
  appVersion: string;
  deviceModel: string;
  osVersion: string;
  countryCode: string;
  locale: string;
  isDev: boolean;
  timestamp: number;
}

/** The app a point in [0, total weight) falls on. */
function weightedIndex(point: number): number {
  let left = point;
  for (const [i, a] of SAMPLE_APPS.entries()) {
    left -= a.weight;
    if (left < 0) return i;
  }
  return SAMPLE_APPS.length - 1;
}

/** Sessions over the `days` before `end` (epoch ms), about `perHour` at the busiest hour. */
export function* sampleEvents(end: number, days: number, perHour: number, seed = 7): Generator<SampleEvent> {
  const r = seeded(seed);
  const start = end - days * 86_400_000;
  const uuid = () => sampleUuid(r);
  const totalWeight = SAMPLE_APPS.reduce((s, a) => s + a.weight, 0);
  for (let hour = start; hour < end; hour += 3_600_000) {
    const sessions = Math.round(perHour * rhythm(new Date(hour).getUTCHours()) * (0.8 + 0.4 * r.next()));
    for (let s = 0; s < sessions; s++) {
      const app = weightedIndex(r.next() * totalWeight);
      const spec = SAMPLE_APPS[app] as SampleApp;
      const sessionId = uuid();
      const userN = Math.floor(400 * r.next() ** 2);
      const userId = r.next() < 0.1 ? null : `user-${userN}`;
      const device = r.pick(DEVICES[spec.environment] as string[]);
      const version = versionAt(hour, start, days, r.next());
      const isDev = r.next() < 0.05;
      const country = r.pick(COUNTRIES);
      const experiment = r.next() < 0.5 ? { checkout_flow: r.next() < 0.5 ? "a" : "b" } : null;
      let t = hour + r.int(3_600_000);
      const length = 3 + r.int(25);
      for (let e = 0; e < length && t < end; e++) {
        const roll = r.next();
        const level: Level = roll < 0.015 ? "error" : roll < 0.06 ? "warn" : roll < 0.25 ? "debug" : "info";
        const screen = r.pick(SCREENS);
        const message =
          level === "error"
            ? r.pick(ERRORS)
            : level === "warn"
              ? r.pick(WARNINGS)
              : level === "debug"
                ? `render ${screen} in ${5 + r.int(40)} ms`
                : e === 0
                  ? "app_open"
                  : `screen_viewed`;
        yield {
          app,
          clientEventId: uuid(),
          sessionId,
          userId,
          level,
          message,
          screenName: spec.platform === "backend" ? null : screen,
          sourceModule: spec.platform === "backend" ? "api.handlers" : `${screen}ViewController`,
          customAttributes:
            level === "error"
              ? {
                  order_total: String(10 + r.int(300)),
                  network: r.pick(["wifi", "cellular"]),
                  // What Owlmetry's SDKs extract from an Error passed to Owl.error(error).
                  _error_stack: [
                    `0  ${spec.name}  ${spec.platform === "backend" ? "api.handlers" : `${screen}ViewController`}.load() + 132`,
                    `1  ${spec.name}  CartViewModel.submit() + 88`,
                    `2  ${spec.name}  AppCoordinator.start() + 40`,
                  ].join("\n"),
                }
              : null,
          experiments: experiment,
          environment: spec.environment,
          appVersion: version,
          deviceModel: device,
          osVersion: spec.environment === "ios" ? "17.4" : spec.environment === "android" ? "14" : "linux",
          countryCode: country,
          locale:
            country === "DE" ? "de_DE" : country === "FR" ? "fr_FR" : country === "JP" ? "ja_JP" : "en_US",
          isDev,
          timestamp: t,
        };
        t += 2_000 + r.int(90_000);
      }
    }
  }
}

/** A crash log for an error event: what an SDK would attach. */
export function crashLog(event: {
  clientEventId: string;
  appVersion: string | null;
  deviceModel: string | null;
  osVersion: string | null;
  timestamp: number;
  message: string;
  sourceModule: string | null;
}): string {
  return [
    `Incident: ${event.clientEventId}`,
    `Version: ${event.appVersion}`,
    `Device: ${event.deviceModel} (${event.osVersion})`,
    `Date: ${new Date(event.timestamp).toISOString()}`,
    "",
    `Exception: ${event.message}`,
    "Thread 0 Crashed:",
    `0   Shop   0x0000000100a1b2c4 ${event.sourceModule}.checkout() + 132`,
    "1   Shop   0x0000000100a1c004 CartViewModel.submit() + 88",
    "2   UIKitCore 0x00000001a2b3c4d5 -[UIApplication sendAction:to:from:forEvent:] + 96",
    "",
  ].join("\n");
}

/** What the demo's users wrote through the apps' feedback forms: [message, name, email, status]. */
export const SAMPLE_FEEDBACK: ReadonlyArray<readonly [string, string | null, string | null, string]> = [
  ["The checkout button does nothing after I change the address.", "Mia", "mia@example.com", "new"],
  ["Love the new search, finally finds what I type!", null, null, "addressed"],
  ["App froze on the product page while pictures were loading.", "Noah", null, "in_review"],
  ["Could you add a dark mode?", null, "liam@example.com", "new"],
  ["Payment failed twice with 'Database is locked'.", "Ava", "ava@example.com", "new"],
  ["Cart emptied itself after the update.", null, null, "dismissed"],
];
