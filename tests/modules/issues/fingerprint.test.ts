import { describe, expect, test } from "bun:test";
import { compareVersions } from "../../../src/lib/version";
import {
  discriminatorOf,
  groupingOf,
  normalizeMessage,
  owlmetryFingerprint,
  templatedUrl,
} from "../../../src/modules/issues/fingerprint";

const owl = (
  message: string,
  sourceModule: string | null = null,
  attrs: Record<string, string> | null = null,
) => groupingOf({ message, sourceModule, customAttributes: attrs, payload: null }).fingerprint;

describe("Owlmetry messages", () => {
  test.each([
    ["User 123 not found", "user <n> not found"],
    ["Timeout after 30.5 seconds", "timeout after <n> seconds"],
    ["Order 550e8400-e29b-41d4-a716-446655440000 failed", "order <uuid> failed"],
    ['Missing key "username"', 'missing key "<s>"'],
    ["Can't open 'db.sqlite'", "can'<s>'db.sqlite'"],
    ["  Database   is\tLOCKED  ", "database is locked"],
  ])("%p normalises to %p", (message, normalised) => {
    expect(normalizeMessage(message)).toBe(normalised);
  });

  test.each([
    ["User 123 not found", "User 456 not found", true],
    [
      "Order 550e8400-e29b-41d4-a716-446655440000 failed",
      "Order 6ba7b810-9dad-11d1-80b4-00c04fd430c8 failed",
      true,
    ],
    ['Missing key "username"', 'Missing key "email"', true],
    ["Database is locked", "database IS locked", true],
    ["Database is locked", "Database is corrupt", false],
  ])("%p and %p: same issue %p", (a, b, same) => {
    expect(owl(a) === owl(b)).toBe(same);
  });

  test("the source module keeps apart the same words from two places", () => {
    expect(owl("Failed", "Sync")).not.toBe(owl("Failed", "Upload"));
    expect(owl("Failed", null)).toBe(owl("Failed", null));
  });

  test("is SHA-256 of the module, a colon and the normalised message", () => {
    const expected = new Bun.CryptoHasher("sha256").update("Sync:user <n> not found").digest("hex");
    expect(owlmetryFingerprint("User 7 not found", "Sync", null)).toBe(expected);
  });
});

describe("discriminators", () => {
  const net = (url: string, method = "GET") =>
    owl("sdk:network_request", null, { _http_url: url, _http_method: method });

  test.each([
    ["https://api.example.com/users/123/orders?page=2", "api.example.com/users/:id/orders"],
    ["https://api.example.com/items/550e8400-e29b-41d4-a716-446655440000", "api.example.com/items/:id"],
    ["https://api.example.com/blobs/9f86d081884c7d65#x", "api.example.com/blobs/:id"],
    ["https://api.example.com/health", "api.example.com/health"],
    ["/relative/42", "/relative/:id"],
  ])("%p is templated as %p", (url, templated) => {
    expect(templatedUrl(url)).toBe(templated);
  });

  test("network errors group by method, host and templated path", () => {
    expect(net("https://api.example.com/users/1")).toBe(net("https://api.example.com/users/2?x=1"));
    expect(net("https://api.example.com/users/1")).not.toBe(net("https://api.example.com/users/1", "POST"));
    expect(net("https://api.example.com/users/1")).not.toBe(net("https://api.example.com/orders/1"));
    expect(net("https://api.example.com/users/1")).not.toBe(net("https://other.example.com/users/1"));
    expect(
      discriminatorOf("sdk:network_request", { _http_url: "https://a.io/x/5", _http_method: "post" }),
    ).toBe("POST a.io/x/:id");
  });

  test("the error type keeps apart two error classes with the same words", () => {
    const a = owl("Request failed", null, { _error_type: "TimeoutError" });
    const b = owl("Request failed", null, { _error_type: "DecodingError" });
    expect(a).not.toBe(b);
    expect(a).toBe(owl("Request failed", null, { _error_type: "TimeoutError", other: "x" }));
    expect(owl("Request failed", null, { other: "x" })).toBe(owl("Request failed"));
  });
});

describe("Sentry events", () => {
  const frame = (fn: string, line: number, inApp = true, module = "app.checkout") => ({
    module,
    function: fn,
    lineno: line,
    in_app: inApp,
  });
  const sentry = (payload: Record<string, unknown>, message = "TypeError: x") =>
    groupingOf({ message, sourceModule: null, customAttributes: null, payload: JSON.stringify(payload) })
      .fingerprint;
  const exception = (type: string, value: string, frames: unknown[]) => ({
    exception: { values: [{ type, value, stacktrace: { frames } }] },
  });

  test("same type and in-app frames are one issue, whatever the lines and the value", () => {
    const a = sentry(exception("TypeError", "x is undefined", [frame("pay", 10), frame("render", 20)]));
    const b = sentry(exception("TypeError", "y is undefined", [frame("pay", 99), frame("render", 7)]));
    expect(a).toBe(b);
  });

  test("library frames do not count when the trace has in-app frames", () => {
    const a = sentry(exception("TypeError", "x", [frame("lib1", 1, false, "react"), frame("pay", 10)]));
    const b = sentry(exception("TypeError", "x", [frame("lib2", 5, false, "vue"), frame("pay", 10)]));
    expect(a).toBe(b);
  });

  test("another function, module or type is another issue", () => {
    const base = sentry(exception("TypeError", "x", [frame("pay", 10)]));
    expect(sentry(exception("TypeError", "x", [frame("refund", 10)]))).not.toBe(base);
    expect(sentry(exception("TypeError", "x", [frame("pay", 10, true, "app.cart")]))).not.toBe(base);
    expect(sentry(exception("RangeError", "x", [frame("pay", 10)]))).not.toBe(base);
  });

  test("with no frames, the type and the normalised value", () => {
    expect(sentry(exception("ValueError", "bad id 12", []))).toBe(
      sentry(exception("ValueError", "bad id 13", [])),
    );
    expect(sentry(exception("ValueError", "bad id 12", []))).not.toBe(
      sentry(exception("ValueError", "no id", [])),
    );
  });

  test("a message event groups by its template", () => {
    expect(sentry({ logentry: { message: "Cart %s is empty", params: ["a"] } })).toBe(
      sentry({ logentry: { message: "Cart %s is empty", params: ["b"] } }),
    );
    expect(sentry({ message: "Order 12 failed" })).toBe(sentry({ message: "Order 13 failed" }));
  });

  test("an explicit fingerprint wins, and {{ default }} stands for the default", () => {
    const one = exception("TypeError", "x", [frame("pay", 10)]);
    const two = exception("RangeError", "y", [frame("other", 3)]);
    expect(sentry({ ...one, fingerprint: ["payments-down"] })).toBe(
      sentry({ ...two, fingerprint: ["payments-down"] }),
    );
    expect(sentry({ ...one, fingerprint: ["payments-down"] })).not.toBe(sentry(one));
    expect(sentry({ ...one, fingerprint: ["{{ default }}", "eu"] })).not.toBe(
      sentry({ ...one, fingerprint: ["{{ default }}", "us"] }),
    );
    expect(sentry({ ...one, fingerprint: ["{{default}}", "eu"] })).toBe(
      sentry({ ...one, fingerprint: ["{{ default }}", "eu"] }),
    );
    expect(sentry({ ...one, fingerprint: ["{{ default }}", "eu"] })).not.toBe(
      sentry({ ...two, fingerprint: ["{{ default }}", "eu"] }),
    );
  });

  test("a payload that is not JSON falls back to the message", () => {
    const g = groupingOf({ message: "Boom 1", sourceModule: null, customAttributes: null, payload: "{" });
    expect(g.fingerprint).toBe(owl("Boom 2"));
  });
});

describe("versions", () => {
  test.each([
    ["1.10.0", "1.9.0", 1],
    ["1.2.3", "1.2.3", 0],
    ["1.2", "1.2.0", 0],
    ["v2.0", "1.99", 1],
    ["1.2.3 (456)", "1.2.3 (455)", 0],
    ["2024.10.15", "2024.9.30", 1],
    ["1.0.0-beta", "1.0.0", -1],
    ["1.0.0-beta.2", "1.0.0-beta.10", -1],
    ["1.0.0-alpha", "1.0.0-beta", -1],
    ["my-app@1.4.0+77", "my-app@1.3.9", 1],
    ["1.0.0", "1.0.0-rc.1", 1],
  ])("%p vs %p is %p", (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected as -1 | 0 | 1);
    expect(compareVersions(b, a)).toBe((0 - expected) as -1 | 0 | 1);
  });
});
