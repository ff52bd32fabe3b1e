import { createHmac } from "node:crypto";

/**
 * A webhook request as Roost signs it: `X-Roost-Signature: sha256=<hex>` is the HMAC-SHA256, with
 * the destination's secret, of `<X-Roost-Timestamp>.<body>`; a receiver recomputes it and refuses
 * old timestamps, so a captured request cannot be replayed later. `X-Roost-Delivery` is the same
 * on every attempt of one notification: a receiver that saw it already answers 2xx and does
 * nothing.
 */
export function signedRequest(
  secret: string,
  deliveryId: string,
  event: string,
  body: string,
  now: Date,
  version: string,
) {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": `Roost/${version}`,
      "x-roost-event": event,
      "x-roost-delivery": deliveryId,
      "x-roost-timestamp": timestamp,
      "x-roost-signature": `sha256=${signature(secret, timestamp, body)}`,
    },
    body,
  };
}

export const signature = (secret: string, timestamp: string, body: string) =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");

/** The wait before attempt `attempt + 1`: doubling from `baseMs`, at most an hour. */
export const retryDelay = (attempt: number, baseMs: number) =>
  Math.min(3_600_000, baseMs * 2 ** (attempt - 1));
