import { badRequest } from "./errors";

/** Ids are UUIDv7: time-ordered, so newer rows sort last and an id tells when it was made. */
export const newId = (): string => Bun.randomUUIDv7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

/** A query parameter that must be a UUID, lower-cased; else a 400 that names it. */
export function uuidParam(param: string, value: string): string {
  if (!isUuid(value)) throw badRequest(`${param} must be a UUID`);
  return value.toLowerCase();
}

/**
 * An event's id: a UUIDv7 of the event's timestamp whose 12 `rand_a` bits are the last three hex
 * digits of its project's id (random bits of that UUIDv7). The time names the hour and the hint
 * names the project, so a lookup by id reads the one partition that holds it instead of every
 * project's file of that hour. The other 62 random bits keep ids unique.
 */
export function eventId(timestampMs: number, projectId: string): string {
  const id = Bun.randomUUIDv7("hex", timestampMs);
  return `${id.slice(0, 15)}${projectHint(projectId)}${id.slice(18)}`;
}

/** The hint a project's event ids carry (see eventId). */
export const projectHint = (projectId: string): string => projectId.slice(-3).toLowerCase();

/** The project hint an event id carries; a hint, not a fact: ids made elsewhere carry none. */
export const hintOfEventId = (id: string): string => id.slice(15, 18).toLowerCase();

/**
 * A project user's id: md5 of `<project id>:<user id>` written as a UUID, so a user has the same
 * id before and after the seal first counts them; `appUserIdSql` computes the same in DuckDB.
 */
export function appUserId(projectId: string, userId: string): string {
  const hex = new Bun.CryptoHasher("md5").update(`${projectId.toLowerCase()}:${userId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** appUserId as a DuckDB expression over a UUID column and a text column. */
export const appUserIdSql = (project: string, user: string): string => {
  const h = `md5(${project}::VARCHAR || ':' || ${user})`;
  return `(substr(${h}, 1, 8) || '-' || substr(${h}, 9, 4) || '-' || substr(${h}, 13, 4) || '-' || substr(${h}, 17, 4) || '-' || substr(${h}, 21, 12))::UUID`;
};
