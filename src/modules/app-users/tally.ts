import { LAST_COLUMNS } from "../../store/app-users";
import type { StoredEvent } from "../pipeline/event";

/**
 * What events say of their users, as USER_STATS (store/app-users.ts) aggregates them, worked out
 * in memory so that tallies of several rounds merge before they reach the database (decision 017).
 */

type LastField = (typeof LAST_COLUMNS)[number];

const lastOf: Record<LastField, (e: StoredEvent) => string | null> = {
  last_app_version: (e) => e.appVersion,
  last_sdk_name: (e) => e.sdkName,
  last_sdk_version: (e) => e.sdkVersion,
  last_locale: (e) => e.locale,
  last_country_code: (e) => e.countryCode,
};

export interface UserTally {
  projectId: string;
  userId: string;
  first: number;
  last: number;
  count: number;
  /** The newest event's. */
  isDev: boolean;
  /** Each `last_*`: the newest value sent, and when (epoch ms). */
  newest: Partial<Record<LastField, [value: string, at: number]>>;
}

export interface AppTally {
  projectId: string;
  userId: string;
  appId: string;
  first: number;
  last: number;
  count: number;
}

export interface Tallies {
  users: UserTally[];
  apps: AppTally[];
}

/** The tallies of some events (those without a user count for nobody). */
export function tallyEvents(events: readonly StoredEvent[]): Tallies {
  const users = new Map<string, UserTally>();
  const apps = new Map<string, AppTally>();
  for (const e of events) {
    if (e.userId === null) continue;
    const newest: UserTally["newest"] = {};
    for (const field of LAST_COLUMNS) {
      const value = lastOf[field](e);
      if (value !== null) newest[field] = [value, e.timestamp];
    }
    const one = { first: e.timestamp, last: e.timestamp, count: 1 };
    addUser(users, { projectId: e.projectId, userId: e.userId, ...one, isDev: e.isDev, newest });
    addApp(apps, { projectId: e.projectId, userId: e.userId, appId: e.appId, ...one });
  }
  return { users: [...users.values()], apps: [...apps.values()] };
}

/** Several tallies as one, each user under `resolve(project, user)` (the claims as they stand). */
export function mergeTallies(
  all: readonly Tallies[],
  resolve: (projectId: string, userId: string) => string,
): Tallies {
  const users = new Map<string, UserTally>();
  const apps = new Map<string, AppTally>();
  for (const t of all) {
    for (const u of t.users) addUser(users, { ...u, userId: resolve(u.projectId, u.userId) });
    for (const a of t.apps) addApp(apps, { ...a, userId: resolve(a.projectId, a.userId) });
  }
  return { users: [...users.values()], apps: [...apps.values()] };
}

function addUser(into: Map<string, UserTally>, u: UserTally): void {
  const key = `${u.projectId}|${u.userId}`;
  const had = into.get(key);
  if (!had) {
    into.set(key, { ...u, newest: { ...u.newest } });
    return;
  }
  had.count += u.count;
  had.first = Math.min(had.first, u.first);
  if (u.last >= had.last) {
    had.last = u.last;
    had.isDev = u.isDev;
  }
  for (const field of LAST_COLUMNS) {
    const next = u.newest[field];
    const now = had.newest[field];
    if (next && (!now || next[1] >= now[1])) had.newest[field] = next;
  }
}

function addApp(into: Map<string, AppTally>, a: AppTally): void {
  const key = `${a.projectId}|${a.userId}|${a.appId}`;
  const had = into.get(key);
  if (!had) {
    into.set(key, { ...a });
    return;
  }
  had.count += a.count;
  had.first = Math.min(had.first, a.first);
  had.last = Math.max(had.last, a.last);
}

/**
 * Tallies as compact JSON (arrays, not objects with keys: a round's tallies are written once and
 * read once, and at 1,600 users the keys were most of the text).
 */
export function packTallies({ users, apps }: Tallies): string {
  return JSON.stringify([
    users.map((u) => [
      u.projectId,
      u.userId,
      u.first,
      u.last,
      u.count,
      u.isDev ? 1 : 0,
      ...LAST_COLUMNS.flatMap((f) => u.newest[f] ?? [null, 0]),
    ]),
    apps.map((a) => [a.projectId, a.userId, a.appId, a.first, a.last, a.count]),
  ]);
}

export function unpackTallies(text: string): Tallies {
  const [users, apps] = JSON.parse(text) as [unknown[][], unknown[][]];
  return {
    users: users.map((u) => {
      const newest: UserTally["newest"] = {};
      LAST_COLUMNS.forEach((field, i) => {
        const value = u[6 + 2 * i] as string | null;
        if (value !== null) newest[field] = [value, u[7 + 2 * i] as number];
      });
      return {
        projectId: u[0] as string,
        userId: u[1] as string,
        first: u[2] as number,
        last: u[3] as number,
        count: u[4] as number,
        isDev: u[5] === 1,
        newest,
      };
    }),
    apps: apps.map((a) => ({
      projectId: a[0] as string,
      userId: a[1] as string,
      appId: a[2] as string,
      first: a[3] as number,
      last: a[4] as number,
      count: a[5] as number,
    })),
  };
}
