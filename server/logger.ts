import pino from "pino";

export type Logger = pino.Logger;

/** Logs go to stderr: stdout belongs to the CLI's JSON output. */
export function createLogger(level: "debug" | "info" | "warn" | "error" | "silent"): Logger {
  return pino({ level, base: { app: "workdeck" } }, pino.destination({ dest: 2, sync: true }));
}
