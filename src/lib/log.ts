import type { LogFormat, LogLevel } from "../config";

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One line per event, `message key=value ...`, so a person reading logs sees the numbers; with
 * `json`, one JSON object per line (`time`, `level`, `msg` and the fields) for log shippers.
 * Errors are written at every level, `silent` included: silent quiets the routine lines, never a
 * failure.
 */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => console.log(l),
  format: LogFormat = "text",
): Logger {
  const line = (tag: string, message: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    if (format === "json") {
      write(JSON.stringify({ time, level: tag.toLowerCase(), msg: message, ...fields }));
      return;
    }
    const parts = [time, tag, message];
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
