/** `roost <command> [subcommand] [positionals] --flag value --flag=value --switch`. */
export interface Args {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export function parseArgs(argv: readonly string[]): Args {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--")) flags[name] = argv[++i] ?? "";
    else flags[name] = true;
  }
  return { positionals, flags };
}

export class UsageError extends Error {}

export function requireFlag(flags: Args["flags"], name: string): string {
  const value = flags[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalFlag(flags: Args["flags"], name: string): string | undefined {
  const value = flags[name];
  if (typeof value === "boolean") throw new UsageError(`--${name} needs a value`);
  return value;
}
