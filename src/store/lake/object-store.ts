import { renameSync, rmSync } from "node:fs";
import { S3Client } from "bun";
import type { ObjectStorageConfig } from "../../config";
import { fsyncFile } from "../../lib/files";

/**
 * The lake's copy in an S3-compatible bucket, through Bun's built-in client (DuckDB's httpfs is
 * an extension downloaded at run time, which not every machine can do). A file's key mirrors its
 * path under `lake/`: `lake/events/project_id=…/date=…/hour=…/x.parquet` is
 * `<prefix>/events/project_id=…/date=…/hour=…/x.parquet`, the layout analysts read.
 */
export class ObjectStore {
  private readonly client: S3Client;

  constructor(private readonly config: ObjectStorageConfig) {
    this.client = new S3Client({
      bucket: config.bucket,
      endpoint: config.endpoint,
      region: config.region,
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      sessionToken: config.sessionToken,
    });
  }

  /** Where it is, for log lines and messages (never the credentials). */
  get url(): string {
    return `s3://${this.config.bucket}${this.config.prefix ? `/${this.config.prefix}` : ""}`;
  }

  /** The key of a lake file (its path relative to the data directory, under `lake/`). */
  keyOf(path: string): string {
    const rest = path.replace(/^lake\//, "");
    return this.config.prefix ? `${this.config.prefix}/${rest}` : rest;
  }

  /** Uploads a local file (large ones in parts: the client splits them). */
  async put(path: string, localFile: string): Promise<void> {
    await this.client.write(this.keyOf(path), Bun.file(localFile));
  }

  /**
   * Downloads a file to `localFile`, through a temporary name that no reader lists (nor a
   * `*.parquet` glob matches), synced and renamed, so a file at its final name is always whole.
   */
  async get(path: string, localFile: string): Promise<number> {
    const temp = `${localFile}.${Bun.randomUUIDv7()}.download`;
    try {
      const bytes = await Bun.write(temp, this.client.file(this.keyOf(path)));
      fsyncFile(temp);
      renameSync(temp, localFile);
      return bytes;
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    await this.client.delete(this.keyOf(path));
  }
}

/** An S3 error as a person reads it: Bun's says "an unexpected error has occurred" and keeps the cause in `code`. */
export function describeS3Error(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== "string" || error.message.includes(code)) return error.message;
  return error.message.startsWith("an unexpected error") ? code : `${code}: ${error.message}`;
}
