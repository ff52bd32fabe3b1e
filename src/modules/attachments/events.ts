import type { Tx } from "../../store/db";
import type { OutcomeRow } from "../pipeline/tally";

/** The event an attachment belongs to, by its key. */
export interface EventKey {
  projectId: string;
  appId: string;
  clientEventId: string;
}

/**
 * What attachments need from the event store, which differs by backend (decision 017): the
 * embedded store keeps events and outcomes in the same database as attachments; a cluster keeps
 * attachments in PostgreSQL, events and outcomes in ClickHouse.
 */
export interface AttachmentEvents {
  /**
   * Whether this process sees every reservation (one Roost): then the events that can have
   * attachments are known here, and an event's detail skips the query for every other event.
   */
  readonly seesEveryReservation: boolean;
  /** Stores attachment outcomes with the write that decided them. */
  count(tx: Tx, rows: readonly OutcomeRow[]): Promise<void>;
  /**
   * Looks an event's id up: the slow part runs now, outside the write; the step it returns
   * finishes inside the write that reserves the attachment.
   */
  lookup(key: EventKey): Promise<(tx: Tx) => Promise<string | null>>;
  /** Before a read shows event ids: points attachments at events stored since (a cluster's link). */
  link(): Promise<void>;
}
