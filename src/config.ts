import { resolve } from "node:path";
import pkg from "../package.json";

export type LogLevel = "silent" | "info" | "debug";
export type LogFormat = "text" | "json";

/** Everything Roost reads from its environment and flags, parsed once at start and passed in. */
export interface Config {
  version: string;
  host: string;
  port: number;
  dataDir: string;
  /** From ROOST_JWT_SECRET; when absent a secret is generated once and kept in the data directory. */
  jwtSecret: string | undefined;
  jwtTtlSeconds: number;
  /** From ROOST_ADMIN_PASSWORD; used only on the first start, to create the owner. */
  adminPassword: string | undefined;
  logLevel: LogLevel;
  /** ROOST_LOG_FORMAT: `text` (key=value lines) or `json` (one object a line, for log shippers). */
  logFormat: LogFormat;
  duckdb: { threads: number; memoryLimit: string; readers: number; checkpointThreshold: string };
  /** How long shutdown may take before the process exits regardless. */
  shutdownDeadlineMs: number;
  storage: { schedule: string; sealGraceMs: number; retiredGraceMs: number };
  /**
   * Where events and the control plane live (decision 017): `duckdb`, the embedded store in the
   * data directory (the default), or `clickhouse`, a ClickHouse cluster for events and outcomes
   * with PostgreSQL for teams, users, projects, apps, keys, dedup claims and quotas.
   */
  store: "duckdb" | "clickhouse";
  clickhouse: { url: string; shards: string[]; cluster: string } | null;
  /** ROOST_DATABASE_URL: postgres://… (with ROOST_STORE=clickhouse). */
  databaseUrl: string | null;
  /** ROOST_ATTACHMENTS_DIR: the directory a cluster's nodes share for attachment bytes. */
  sharedAttachmentsDir: string | null;
  /** The lake in S3-compatible object storage (decision 016); `remote` null keeps it on local disk only. */
  lake: { remote: ObjectStorageConfig | null; cacheBytes: number };
  /** The events API's per-caller token bucket. */
  eventsRateLimit: { burst: number; perSecond: number };
  /** The stats API's per-caller limit (Sentry's: 20 a second). */
  statsRateLimit: { burst: number; perSecond: number };
  /** Load the demo team's sample week on start when it is not there yet (--demo, ROOST_DEMO=1). */
  demo: boolean;
  /**
   * The server's address as clients reach it (ROOST_PUBLIC_URL), for signed URLs and DSNs; else
   * the request's.
   */
  publicUrl: string | undefined;
  /** ROOST_METRICS_TOKEN: GET /metrics answers only with it as a bearer token; unset, not at all. */
  metricsToken: string | null;
  attachments: {
    /** The largest attachment accepted (ROOST_ATTACHMENT_MAX_BYTES, default 100 MiB). */
    maxFileBytes: number;
  };
  attribution: {
    /** Apple's AdServices API, which resolves an attribution token (ROOST_APPLE_ADSERVICES_URL). */
    appleUrl: string;
    /** Honour the SDK's `dev_mock` instead of asking Apple (ROOST_ATTRIBUTION_DEV_MOCK=1). */
    devMock: boolean;
  };
  /** Issue notifications (decision 011): webhook deliveries and the digest. */
  notifications: {
    /** The wait before the first retry; each retry waits twice the one before (ROOST_WEBHOOK_RETRY_MS). */
    retryBaseMs: number;
    /** Attempts before a delivery is given up (ROOST_WEBHOOK_MAX_ATTEMPTS). */
    maxAttempts: number;
    /** How long one attempt may take (ROOST_WEBHOOK_TIMEOUT_MS). */
    timeoutMs: number;
    /** How often the outbox is looked at when nothing woke it (ROOST_NOTIFY_POLL_MS). */
    pollMs: number;
    /** Between two digests of a destination (ROOST_DIGEST_INTERVAL_SECONDS, default a day). */
    digestEveryMs: number;
    /** Mail for e-mail destinations: smtp://[user:pass@]host[:port] or smtps://… (ROOST_SMTP_URL); none: no e-mail. */
    smtpUrl: string | null;
    /** The sender of that mail (ROOST_SMTP_FROM). */
    smtpFrom: string;
  };
}

/** ROOST_LAKE_URL (s3://bucket/prefix) and the usual AWS variables for credentials and endpoint. */
export interface ObjectStorageConfig {
  bucket: string;
  /** Without leading or trailing slashes; may be empty. */
  prefix: string;
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (MinIO, R2, …); unset: AWS's own. */
  endpoint: string | undefined;
  /** AWS_REGION or AWS_DEFAULT_REGION. */
  region: string | undefined;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  sessionToken: string | undefined;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

/** Flags win over the environment, which wins over the defaults. */
export function loadConfig(flags: Record<string, string | boolean>, env: Env): Config {
  const pick = (flag: string, envName: string): string | undefined => {
    const fromFlag = flags[flag];
    if (typeof fromFlag === "string") return fromFlag;
    return env[envName] || undefined;
  };
  return {
    version: pkg.version,
    host: pick("host", "ROOST_HOST") ?? "127.0.0.1",
    port: integer("port", pick("port", "ROOST_PORT") ?? "3000", 0, 65535),
    dataDir: resolve(pick("data", "ROOST_DATA_DIR") ?? "./data"),
    jwtSecret: env.ROOST_JWT_SECRET || undefined,
    jwtTtlSeconds: integer(
      "ROOST_JWT_TTL_SECONDS",
      env.ROOST_JWT_TTL_SECONDS ?? String(7 * 86400),
      60,
      366 * 86400,
    ),
    adminPassword: env.ROOST_ADMIN_PASSWORD || undefined,
    logLevel: logLevel(pick("log-level", "ROOST_LOG_LEVEL") ?? "info"),
    logFormat: logFormat(env.ROOST_LOG_FORMAT ?? "text"),
    duckdb: {
      threads: integer("ROOST_DUCKDB_THREADS", env.ROOST_DUCKDB_THREADS ?? "2", 1, 256),
      memoryLimit: env.ROOST_DUCKDB_MEMORY_LIMIT ?? "1GB",
      readers: integer("ROOST_DUCKDB_READERS", env.ROOST_DUCKDB_READERS ?? "4", 1, 64),
      checkpointThreshold: env.ROOST_DUCKDB_CHECKPOINT_THRESHOLD ?? "256MB",
    },
    shutdownDeadlineMs: integer(
      "ROOST_SHUTDOWN_DEADLINE_MS",
      env.ROOST_SHUTDOWN_DEADLINE_MS ?? "10000",
      100,
      600000,
    ),
    statsRateLimit: {
      burst: integer("ROOST_STATS_RATE_PER_SECOND", env.ROOST_STATS_RATE_PER_SECOND ?? "20", 1, 1_000_000),
      perSecond: integer(
        "ROOST_STATS_RATE_PER_SECOND",
        env.ROOST_STATS_RATE_PER_SECOND ?? "20",
        1,
        1_000_000,
      ),
    },
    eventsRateLimit: {
      burst: integer("ROOST_EVENTS_RATE_BURST", env.ROOST_EVENTS_RATE_BURST ?? "100", 1, 1_000_000),
      perSecond: integer(
        "ROOST_EVENTS_RATE_PER_SECOND",
        env.ROOST_EVENTS_RATE_PER_SECOND ?? "10",
        1,
        1_000_000,
      ),
    },
    demo: (flags.demo !== undefined && flags.demo !== "false") || env.ROOST_DEMO === "1",
    attachments: {
      maxFileBytes: integer(
        "ROOST_ATTACHMENT_MAX_BYTES",
        env.ROOST_ATTACHMENT_MAX_BYTES ?? String(100 * 1024 * 1024),
        1,
        64 * 1024 ** 3,
      ),
    },
    publicUrl: publicUrl(env.ROOST_PUBLIC_URL),
    metricsToken: env.ROOST_METRICS_TOKEN || null,
    attribution: {
      appleUrl: env.ROOST_APPLE_ADSERVICES_URL || "https://api-adservices.apple.com/api/v1/",
      devMock: env.ROOST_ATTRIBUTION_DEV_MOCK === "1",
    },
    notifications: {
      retryBaseMs: integer("ROOST_WEBHOOK_RETRY_MS", env.ROOST_WEBHOOK_RETRY_MS ?? "1000", 1, 3_600_000),
      maxAttempts: integer("ROOST_WEBHOOK_MAX_ATTEMPTS", env.ROOST_WEBHOOK_MAX_ATTEMPTS ?? "8", 1, 100),
      timeoutMs: integer("ROOST_WEBHOOK_TIMEOUT_MS", env.ROOST_WEBHOOK_TIMEOUT_MS ?? "10000", 100, 600_000),
      pollMs: integer("ROOST_NOTIFY_POLL_MS", env.ROOST_NOTIFY_POLL_MS ?? "1000", 10, 600_000),
      digestEveryMs:
        1000 *
        integer("ROOST_DIGEST_INTERVAL_SECONDS", env.ROOST_DIGEST_INTERVAL_SECONDS ?? "86400", 1, 30 * 86400),
      smtpUrl: smtpUrl(env.ROOST_SMTP_URL),
      smtpFrom: env.ROOST_SMTP_FROM || "roost@localhost",
    },
    storage: {
      schedule: env.ROOST_STORAGE_SCHEDULE ?? "*/5 * * * *",
      sealGraceMs:
        1000 * integer("ROOST_SEAL_GRACE_SECONDS", env.ROOST_SEAL_GRACE_SECONDS ?? "120", 0, 86400),
      retiredGraceMs:
        1000 * integer("ROOST_RETIRED_GRACE_SECONDS", env.ROOST_RETIRED_GRACE_SECONDS ?? "600", 0, 86400),
    },
    ...clusterStore(env),
    lake: {
      remote: objectStorage(env),
      cacheBytes: integer(
        "ROOST_LAKE_CACHE_BYTES",
        env.ROOST_LAKE_CACHE_BYTES ?? String(10 * 1024 ** 3),
        0,
        2 ** 50,
      ),
    },
  };
}

/** A config for tests and tools: defaults, quiet, in the given data directory. */
export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ data: dataDir }, {}), logLevel: "silent", ...overrides };
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function logFormat(raw: string): LogFormat {
  if (raw === "text" || raw === "json") return raw;
  throw new ConfigError(`ROOST_LOG_FORMAT must be text or json, got '${raw}'`);
}

function logLevel(raw: string): LogLevel {
  if (raw === "silent" || raw === "info" || raw === "debug") return raw;
  throw new ConfigError(`ROOST_LOG_LEVEL must be silent, info or debug, got '${raw}'`);
}

function publicUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(raw)) {
    throw new ConfigError(
      `ROOST_PUBLIC_URL must be an http(s) URL such as https://roost.example.com, got '${raw}'`,
    );
  }
  return raw.replace(/\/+$/, "");
}

function smtpUrl(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    if ((url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname) return value;
  } catch {}
  throw new ConfigError("ROOST_SMTP_URL must look like smtp://[user:password@]host[:port] or smtps://…");
}

function objectStorage(env: Env): ObjectStorageConfig | null {
  const raw = env.ROOST_LAKE_URL;
  if (!raw) return null;
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  if (!match?.[1]) {
    throw new ConfigError(
      `ROOST_LAKE_URL must look like s3://bucket or s3://bucket/prefix (a bucket name in lower case), got '${raw}'`,
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new ConfigError(
      `AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:9000, got '${endpoint}'`,
    );
  }
  return {
    bucket: match[1],
    prefix: (match[2] ?? "").replace(/^\/+|\/+$/g, ""),
    endpoint: endpoint?.replace(/\/$/, ""),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

function clusterStore(
  env: Env,
): Pick<Config, "store" | "clickhouse" | "databaseUrl" | "sharedAttachmentsDir"> {
  const store = env.ROOST_STORE ?? "duckdb";
  if (store === "duckdb") {
    if (env.ROOST_ATTACHMENTS_DIR)
      throw new ConfigError(
        "ROOST_ATTACHMENTS_DIR is for a cluster (ROOST_STORE=clickhouse); a single Roost keeps attachments in its data directory",
      );
    return { store, clickhouse: null, databaseUrl: null, sharedAttachmentsDir: null };
  }
  if (store !== "clickhouse")
    throw new ConfigError(`ROOST_STORE must be duckdb or clickhouse, got '${store}'`);
  const url = env.ROOST_CLICKHOUSE_URL;
  const databaseUrl = env.ROOST_DATABASE_URL;
  if (!url || !/^https?:\/\/[^/\s]+\/?$/.test(url))
    throw new ConfigError(
      "ROOST_STORE=clickhouse needs ROOST_CLICKHOUSE_URL, an http(s) URL such as http://127.0.0.1:8123",
    );
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError(
      "ROOST_STORE=clickhouse needs ROOST_DATABASE_URL, a postgres://user@host:port/database URL",
    );
  const shards = (env.ROOST_CLICKHOUSE_SHARDS ?? url)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const shard of shards) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(shard))
      throw new ConfigError(
        `ROOST_CLICKHOUSE_SHARDS must be http(s) URLs separated by commas, got '${shard}'`,
      );
  }
  const sharedAttachmentsDir = env.ROOST_ATTACHMENTS_DIR;
  if (!sharedAttachmentsDir)
    throw new ConfigError(
      "ROOST_STORE=clickhouse needs ROOST_ATTACHMENTS_DIR, a directory every node shares (NFS or the like) for attachment bytes",
    );
  return {
    store,
    clickhouse: { url, shards, cluster: env.ROOST_CLICKHOUSE_CLUSTER ?? "roost" },
    databaseUrl,
    sharedAttachmentsDir,
  };
}
