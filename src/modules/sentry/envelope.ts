import { ApiError } from "../../lib/errors";

/** One item of an envelope: its header (with `type`) and its payload's bytes. */
export interface EnvelopeItem {
  type: string;
  header: Record<string, unknown>;
  payload: Uint8Array;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

const NEWLINE = 0x0a;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Splits a Sentry envelope (an inflated body): a header line of JSON, then items, each a header
 * line of JSON and a payload. With `length` in its header, a payload is exactly that many bytes
 * (then an optional newline); without, it runs to the next newline or to the end. Blank lines
 * between items are skipped (some SDKs end the body with one); `\r` is never part of a newline.
 * A body of only a header is an envelope without items. Malformed framing is a 400 that says where.
 */
export function parseEnvelope(body: Uint8Array): Envelope {
  const decoder = new TextDecoder();
  const lineEnd = (from: number) => {
    const at = body.indexOf(NEWLINE, from);
    return at === -1 ? body.length : at;
  };
  const json = (from: number, to: number, what: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body.subarray(from, to)));
    } catch {
      throw new ApiError(400, `The envelope's ${what} is not valid JSON`);
    }
    if (!isObject(value)) throw new ApiError(400, `The envelope's ${what} must be a JSON object`);
    return value;
  };

  const headerEnd = lineEnd(0);
  const header = json(0, headerEnd, "header");
  const items: EnvelopeItem[] = [];
  let at = headerEnd + 1;
  while (at < body.length) {
    const end = lineEnd(at);
    if (isBlank(body, at, end)) {
      at = end + 1;
      continue;
    }
    const what = `item ${items.length + 1} header`;
    const itemHeader = json(at, end, what);
    const type = itemHeader.type;
    if (typeof type !== "string" || type === "") {
      throw new ApiError(400, `The envelope's ${what} needs a type`);
    }
    const start = end + 1;
    const length = itemHeader.length;
    let payload: Uint8Array;
    if (length === undefined || length === null) {
      const payloadEnd = start > body.length ? body.length : lineEnd(start);
      payload = body.subarray(Math.min(start, body.length), payloadEnd);
      at = payloadEnd + 1;
    } else {
      if (typeof length !== "number" || !Number.isInteger(length) || length < 0) {
        throw new ApiError(400, `The envelope's ${what} has a length that is not a whole number`);
      }
      const held = Math.max(0, body.length - start);
      if (length > held) {
        throw new ApiError(
          400,
          `The envelope's item ${items.length + 1} is truncated: its header says ${length} bytes, ${held} follow`,
        );
      }
      payload = body.subarray(start, start + length);
      at = start + length;
      if (body[at] === NEWLINE) at++;
    }
    items.push({ type, header: itemHeader, payload });
  }
  return { header, items };
}

function isBlank(body: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** A bare event (the legacy store endpoint) as an envelope of one event item. */
export function bareEnvelope(body: Uint8Array): Envelope {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ApiError(400, "The request body is not valid JSON");
  }
  if (!isObject(event)) throw new ApiError(400, "The request body must be a JSON object (one event)");
  const header: Record<string, unknown> =
    typeof event.event_id === "string" ? { event_id: event.event_id } : {};
  return { header, items: [{ type: "event", header: { type: "event" }, payload: body }] };
}
