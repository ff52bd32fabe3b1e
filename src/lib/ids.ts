/** Ids are UUIDv7: time-ordered, so newer rows sort last and an id tells when it was made. */
export const newId = (): string => Bun.randomUUIDv7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

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
