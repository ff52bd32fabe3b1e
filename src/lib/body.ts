import { ApiError } from "./errors";

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

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
const tooLarge = (max: number) =>
  new BodyError(413, `The request body is larger than ${mib(max)} MiB`, "too_large");

/** What a body may weigh, as sent and once inflated, and which encodings it may come in. */
export interface BodyLimits {
  /** Bytes on the wire (compressed, when it is). */
  maxBytes: number;
  /** Bytes once inflated; the wire limit when absent. */
  maxInflatedBytes?: number;
  /** Content-Encodings accepted besides identity: gzip (with x-gzip) by default; deflate too. */
  encodings?: ReadonlyArray<"gzip" | "deflate">;
}

/**
 * Reads a body within its limits, inflating gzip (or deflate) on the way. Both limits hold while
 * reading: a small stream that would inflate past its limit is cut off there, so a zip bomb costs
 * at most the inflated limit of memory.
 */
export async function readBodyBytes(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const accepted = limits.encodings ?? ["gzip"];
  const maxInflated = limits.maxInflatedBytes ?? limits.maxBytes;
  let encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "x-gzip") encoding = "gzip";
  if (encoding !== "identity" && !(accepted as readonly string[]).includes(encoding)) {
    throw new BodyError(
      415,
      `Content-Encoding '${encoding}' is not supported; send ${accepted.join(", ")} or nothing`,
      "payload",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (!request.body) throw new BodyError(400, "The request body is empty", "payload");

  // A plain body is counted as it is read; a compressed one also on the wire, before inflating.
  const compressed = encoding !== "identity";
  let wire = 0;
  const stream = compressed
    ? request.body
        .pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              wire += chunk.byteLength;
              if (wire > limits.maxBytes) controller.error(tooLarge(limits.maxBytes));
              else controller.enqueue(chunk);
            },
          }),
        )
        .pipeThrough(
          new DecompressionStream(encoding as "gzip" | "deflate") as unknown as ReadableWritablePair<
            Uint8Array,
            Uint8Array
          >,
        )
    : request.body;
  const limit = compressed ? maxInflated : Math.min(limits.maxBytes, maxInflated);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    if (wire > limits.maxBytes) throw tooLarge(limits.maxBytes);
    throw new BodyError(
      400,
      compressed ? `The request body is not valid ${encoding}` : "The request body could not be read",
      "payload",
    );
  }
  if (total === 0) throw new BodyError(400, "The request body is empty", "payload");
  return Buffer.concat(chunks, total);
}

/** A JSON body of at most `maxBytes` (inflated), gzip accepted. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const bytes = await readBodyBytes(request, { maxBytes });
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new BodyError(400, "The request body is not valid JSON", "payload");
  }
}

/** SDK bodies other than events: Owlmetry's SDKs gzip any body of 512 bytes or more. */
export const SDK_BODY_BYTES = 1 << 20;

/**
 * An Elysia `parse` hook for those: JSON, gzip accepted, at most 1 MiB inflated. Routes give it as
 * `[sdkJson, "json"]`: it answers every body, and the "json" after it only tells the OpenAPI
 * description the body's type (a function parser leaves it without one).
 */
export const sdkJson = ({ request }: { request: Request }): Promise<unknown> =>
  readJsonBody(request, SDK_BODY_BYTES);
