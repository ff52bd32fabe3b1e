import type { LogLevel } from "../config";

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One line per event, `message key=value ...`, so a person reading logs sees the numbers. Errors
 * are written at every level, `silent` included: silent quiets the routine lines, never a failure.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => console.log(l)): Logger {
  const line = (tag: string, message: string, fields?: Record<string, unknown>) => {
    const parts = [new Date().toISOString(), tag, message];
    for (const [key, value] of Object.entries(fields ?? {})) {
      if (value !== undefined)
        parts.push(`${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    write(parts.join(" "));
  };
  return {
    info: (m, f) => level !== "silent" && line("INFO", m, f),
    debug: (m, f) => level === "debug" && line("DEBUG", m, f),
    error: (m, f) => line("ERROR", m, f),
  };
}
