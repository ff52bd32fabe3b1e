#!/usr/bin/env bun
import {
  backupNow,
  demoNow,
  issuesRebuild,
  keysCreate,
  keysList,
  keysRevoke,
  restoreNow,
  storageNow,
  usersAdd,
} from "./cli/admin";
import { parseArgs, UsageError } from "./cli/args";
import { exportEvents } from "./cluster/export";
import { serveCluster } from "./cluster/server";
import { ConfigError, loadConfig } from "./config";
import { ApiError } from "./lib/errors";
import { createLogger } from "./lib/log";
import { serve } from "./server";
import { BackupError } from "./store/backup";
import { StoreLockedError } from "./store/db";
import { LakeCorruptError } from "./store/lake";
import { NewerSchemaError } from "./store/migrations";

const HELP = `roost: self-hosted app telemetry

Usage: roost [command] [flags]

Commands:
  serve                      start the server (the default)
  keys create                create an API key and print its secret once
      --kind agent|client|import   (default agent)
      --team <slug|id>             agent keys; may be left out when there is one team
      --app <id>                   client and import keys
      --name <text>  --permissions a,b  --expires-in-days <n>
  keys list [--team <slug|id>]
  keys revoke <key id>
  users add --email <e> [--password <p>] [--name <n>] [--team <slug|id>] [--role owner|admin|member]
  seal                       move every hot event into Parquet now (for analysts), then compact
  compact                    run the storage job now: seal events past the grace period, compact,
                             delete retired files
  issues rebuild             recompute every issue from the stored errors (statuses, comments and
                             merges stay); on a cluster, with its nodes running
  backup <dir>               a consistent copy of the data directory into a new directory, while
                             the server runs (through its control socket) or not
  restore <dir>              a finished backup into an empty data directory (--data)
  export --since <date> --until <date> --out <dir>
                             on a cluster (ROOST_STORE=clickhouse): the events stored in that range
                             as the lake's hive-partitioned Parquet, for analysts
  demo                       load a sample week (3 apps, sessions, errors with crash logs, metrics
                             and a funnel, every outcome) into a 'demo' team owned by every team
                             owner

Flags for serve:
  --demo           load the demo team on start when it is not there (ROOST_DEMO=1)

Flags for every command:
  --data <dir>     data directory (ROOST_DATA_DIR, default ./data)
  --port <n>       port (ROOST_PORT, default 3000)
  --host <addr>    address to listen on (ROOST_HOST, default 127.0.0.1)
  --log-level      silent|info|debug (ROOST_LOG_LEVEL, default info)
  --version, --help

Administrative commands open the data directory directly and refuse while a server runs on it.
`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.help) return print(HELP);
  const config = loadConfig(args.flags, process.env);
  if (args.flags.version) return print(config.version);
  const [command = "serve", sub] = args.positionals;
  if (command === "backup" || command === "restore") {
    if (!sub) throw new UsageError(`roost ${command} <dir>: name the backup's directory`);
    return print(command === "backup" ? await backupNow(config, sub) : restoreNow(config, sub));
  }
  switch (`${command} ${sub ?? ""}`.trim()) {
    case "serve":
      await (config.store === "clickhouse" ? serveCluster(config) : serve(config));
      return -1; // keeps running until a signal
    case "keys create":
      return print(await keysCreate(config, args));
    case "keys list":
      return print(await keysList(config, args));
    case "keys revoke":
      return print(await keysRevoke(config, args));
    case "users add":
      return print(await usersAdd(config, args));
    case "seal":
      return print(await storageNow(config, true));
    case "compact":
      return print(await storageNow(config, false));
    case "issues rebuild":
      return print(await issuesRebuild(config));
    case "demo":
      return print(await demoNow(config));
    case "export":
      return print(
        await exportEvents(config, args.flags, createLogger(config.logLevel, undefined, config.logFormat)),
      );
    case "help":
      return print(HELP);
    default:
      throw new UsageError(`Unknown command '${args.positionals.join(" ")}'. Run roost --help.`);
  }
}

function print(text: string): number {
  console.log(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    const known = [
      UsageError,
      ConfigError,
      StoreLockedError,
      ApiError,
      LakeCorruptError,
      NewerSchemaError,
      BackupError,
    ].some((type) => error instanceof type);
    console.error(known ? `roost: ${(error as Error).message}` : error);
    process.exit(known ? 2 : 1);
  },
);
