import type { ClickHouse } from "../../store/clickhouse/client";
import type { PgStore } from "../../store/postgres/db";
import { insertOutcomes } from "../pipeline/repository.cluster";
import type { AttachmentEvents } from "./events";

/**
 * Attachments not yet pointed at their event whose event is now stored. Claims last the dedup
 * window, so an attachment reserved for an event older than that keeps a null id (its event's
 * detail still lists it: that goes by the client id).
 */
const LINKABLE = `FROM attachments a JOIN event_claims c
  ON c.app_id = a.app_id AND c.client_event_id = a.client_event_id AND c.stored
  WHERE a.event_id IS NULL AND a.deleted_at IS NULL`;

/**
 * A cluster's side of attachments (decision 017). Attachment rows are in PostgreSQL with the
 * dedup claims, which name each stored event's id for the dedup window: a reservation takes the
 * id from its event's claim, and an attachment that came first is linked when a read next shows
 * ids (the ingest round does not look for attachments: any node may have reserved one).
 * Outcomes go to ClickHouse inside the attachment's write, so a failed insert undoes the write.
 */
export function clusterAttachmentEvents(pg: PgStore, ch: ClickHouse): AttachmentEvents {
  return {
    seesEveryReservation: false,
    count: (_tx, rows) => insertOutcomes(ch, rows),
    lookup: async (key) => async (tx) => {
      const [claim] = await tx.all<{ id: string }>(
        `SELECT event_id::VARCHAR AS id FROM event_claims
         WHERE app_id = ?::UUID AND client_event_id = ? AND stored`,
        [key.appId, key.clientEventId],
      );
      return claim?.id ?? null;
    },
    async link() {
      // Most reads find nothing to link: a probe of the unlinked rows' partial index, no write.
      const [ready] = await pg.read(`SELECT 1 ${LINKABLE} LIMIT 1`);
      if (!ready) return;
      // Rows another node is linking are skipped (it links them): no two nodes wait on each other.
      await pg.atomic((tx) =>
        tx.run(
          `UPDATE attachments a SET event_id = c.event_id FROM event_claims c
           WHERE a.id IN (SELECT a.id ${LINKABLE} ORDER BY a.id FOR UPDATE OF a SKIP LOCKED)
             AND c.app_id = a.app_id AND c.client_event_id = a.client_event_id`,
        ),
      );
    },
  };
}
