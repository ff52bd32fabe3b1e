import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/lib/errors";
import { parseEnvelope } from "../../../src/modules/sentry/envelope";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array) => new TextDecoder().decode(payload);
const parse = (body: string) => {
  const envelope = parseEnvelope(bytes(body));
  return {
    header: envelope.header,
    items: envelope.items.map((i) => ({ type: i.type, payload: text(i.payload) })),
  };
};
const refusal = (body: string | Uint8Array) => {
  try {
    parseEnvelope(typeof body === "string" ? bytes(body) : body);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error("parsed, but should not have");
};

describe("parseEnvelope", () => {
  const header = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-12-01T00:00:00Z"}';

  test.each([
    [
      "items without length, no trailing newline (the JS SDK)",
      `${header}\n{"type":"event"}\n{"message":"a"}`,
      [["event", '{"message":"a"}']],
    ],
    [
      "items without length, trailing newline",
      `${header}\n{"type":"event"}\n{"message":"a"}\n`,
      [["event", '{"message":"a"}']],
    ],
    [
      "items with length, then a newline",
      `${header}\n{"type":"attachment","length":5,"filename":"a.txt"}\nab\ncd\n{"type":"event","length":2}\n{}\n`,
      [
        ["attachment", "ab\ncd"],
        ["event", "{}"],
      ],
    ],
    [
      "an item with length and no newline after it, at the end",
      `${header}\n{"type":"attachment","length":3}\nxyz`,
      [["attachment", "xyz"]],
    ],
    [
      "a length of 0",
      `${header}\n{"type":"attachment","length":0}\n\n{"type":"event"}\n{}`,
      [
        ["attachment", ""],
        ["event", "{}"],
      ],
    ],
    [
      "items of unknown types are kept for the caller to skip",
      `${header}\n{"type":"profile_chunk"}\n{"x":1}\n{"type":"event"}\n{}`,
      [
        ["profile_chunk", '{"x":1}'],
        ["event", "{}"],
      ],
    ],
    ["a body of only the header", header, []],
    ["a body of only the header and a newline", `${header}\n`, []],
    ["blank lines between items", `${header}\n\n{"type":"event"}\n{}\n\n\n`, [["event", "{}"]]],
    [
      "\\r before a newline stays in the JSON, which ignores it",
      `${header}\r\n{"type":"event"}\r\n{"a":1}\r\n`,
      [["event", '{"a":1}\r']],
    ],
    ["an item header without its payload line at the end", `${header}\n{"type":"event"}`, [["event", ""]]],
  ])("%s", (_, body, items) => {
    const parsed = parse(body as string);
    expect(parsed.header.event_id).toBe("9ec79c33ec9942ab8353589fcb2e04dc");
    expect(parsed.items.map((i) => [i.type, i.payload])).toEqual(items as string[][]);
  });

  test("a payload of bytes that are not text is kept byte for byte", () => {
    const head = bytes(`${header}\n{"type":"attachment","length":4}\n`);
    const body = new Uint8Array([...head, 0, 255, 10, 128]);
    expect([...(parseEnvelope(body).items[0]?.payload ?? [])]).toEqual([0, 255, 10, 128]);
  });

  test.each([
    ["an empty body", "", "The envelope's header is not valid JSON"],
    ["a header that is not JSON", "nope\n{}", "The envelope's header is not valid JSON"],
    ["a header that is an array", "[1]\n", "The envelope's header must be a JSON object"],
    [
      "an item header that is not JSON",
      `${header}\n{type:event}\n{}`,
      "The envelope's item 1 header is not valid JSON",
    ],
    [
      "an item header without a type",
      `${header}\n{"length":2}\n{}`,
      "The envelope's item 1 header needs a type",
    ],
    [
      "a negative length",
      `${header}\n{"type":"event","length":-1}\n{}`,
      "The envelope's item 1 header has a length that is not a whole number",
    ],
    [
      "a length that is text",
      `${header}\n{"type":"event","length":"2"}\n{}`,
      "The envelope's item 1 header has a length that is not a whole number",
    ],
    [
      "a truncated item",
      `${header}\n{"type":"event"}\n{}\n{"type":"attachment","length":100}\nshort`,
      "The envelope's item 2 is truncated: its header says 100 bytes, 5 follow",
    ],
  ])("%s → 400", (_, body, message) => {
    expect(refusal(body as string)).toEqual({ status: 400, message: message as string });
  });
});
