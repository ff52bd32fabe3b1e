import { ApiError } from "../../lib/errors";

/** A request body Roost could not read: the request's outcome is `invalid` with this reason. */
export class BodyError extends ApiError {
  constructor(
    status: number,
    message: string,
    readonly reason: "payload" | "too_large",
  ) {
    super(status, message);
  }
}

const tooLarge = (max: number) =>
  new BodyError(413, `The request body is larger than ${Math.round(max / 1024 / 1024)} MiB`, "too_large");

/**
 * Reads a JSON body of at most `maxBytes`, after gunzip when `Content-Encoding: gzip`. The limit
 * holds while inflating: a small gzip stream that would inflate past it is cut off there, so a zip
 * bomb costs at most `maxBytes` of memory.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip" && encoding !== "x-gzip") {
    throw new BodyError(
      415,
      `Content-Encoding '${encoding}' is not supported; send gzip or nothing`,
      "payload",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (encoding === "identity" && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new BodyError(400, "The request body is empty", "payload");

  const gzip = encoding !== "identity";
  const stream = gzip ? request.body.pipeThrough(new DecompressionStream("gzip")) : request.body;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    throw new BodyError(
      400,
      gzip ? "The request body is not valid gzip" : "The request body could not be read",
      "payload",
    );
  }
  if (total === 0) throw new BodyError(400, "The request body is empty", "payload");
  try {
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks, total)));
  } catch {
    throw new BodyError(400, "The request body is not valid JSON", "payload");
  }
}
