import { S3Client } from "bun";
import S3rver from "s3rver";
import type { ObjectStorageConfig } from "../../src/config";
import { tempDir } from "./server";

/** s3rver's fixed credentials. */
export const S3_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/**
 * A local S3-compatible server (s3rver) with one bucket, in this process: the lake's object
 * storage in tests. `stop` and `start` again keep its port and its objects.
 */
export async function startS3(bucket = "roost-lake") {
  const directory = tempDir("roost-s3-");
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    server = new S3rver({
      address: "127.0.0.1",
      port,
      directory,
      silent: true,
      configureBuckets: [{ name: bucket }],
    });
    port = (await server.run()).port;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, bucket, region: "us-east-1", ...S3_KEY });
  return {
    endpoint,
    bucket,
    client,
    config: (prefix: string): ObjectStorageConfig => ({
      bucket,
      prefix,
      endpoint,
      region: "us-east-1",
      ...S3_KEY,
      sessionToken: undefined,
    }),
    /** Every object under `prefix`, key → size. */
    async objects(prefix: string): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await client.list({ prefix: `${prefix}/`, continuationToken: token });
        for (const o of page.contents ?? []) out.set(o.key, o.size ?? 0);
        token = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (token);
      return out;
    },
    stop: async () => {
      await server?.close();
      server = null;
    },
    start,
    directory,
  };
}
