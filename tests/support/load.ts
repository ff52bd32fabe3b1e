import type { RunningServer } from "./server";

/** What a load run saw: ids it sent, and ids the server acknowledged. */
export interface LoadLedger {
  sent: Set<string>;
  acked: Set<string>;
}

export interface LoadOptions {
  connections: number;
  batch: number;
  /** Event timestamps; default: time received. */
  timestamp?: () => string | undefined;
  /** Re-send this many acknowledged ids per batch, to exercise dedup. */
  resend?: number;
}

/**
 * Ingest load that records what was acknowledged: `connections` loops send batches until
 * `stop.now`; a loop whose server dies under it stops. Returns how many replies were wrong.
 */
export async function ingestLoad(
  server: RunningServer,
  key: string,
  ledger: LoadLedger,
  stop: { now: boolean },
  options: LoadOptions,
): Promise<number> {
  let wrong = 0;
  const loop = async (worker: number) => {
    let n = 0;
    while (!stop.now) {
      const events = Array.from({ length: options.batch }, (_, i) => {
        const id = `w${worker}-${Date.now()}-${n++}-${i}`;
        ledger.sent.add(id);
        return {
          client_event_id: id,
          session_id: `s${worker}-${n % 7}`,
          level: i % 10 === 0 ? "error" : "info",
          message: "load",
          environment: "backend",
          timestamp: options.timestamp?.(),
        };
      });
      const resend = [...ledger.acked]
        .slice(-(options.resend ?? 0) || ledger.acked.size)
        .slice(0, options.resend ?? 0);
      const again = resend.map((id) => ({
        client_event_id: id,
        session_id: "resend",
        level: "info",
        message: "again",
        environment: "backend",
      }));
      try {
        const r = await fetch(`${server.base}/v1/ingest`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ events: [...events, ...again] }),
        });
        if (r.status !== 200) {
          wrong++;
          continue;
        }
        const body = (await r.json()) as { accepted: number; duplicates: number };
        if (body.accepted !== events.length || body.duplicates !== again.length) wrong++;
        for (const e of events) ledger.acked.add(e.client_event_id);
      } catch {
        return; // the server was killed under us: this batch was never acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, w) => loop(w)));
  return wrong;
}
