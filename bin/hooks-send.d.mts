/** Types of hooks-send.mjs (plain JS so `workdeck hooks send` starts without tsx). */
export declare const SPOOL_MAX_BYTES: number;
export declare const SPOOL_MAX_ENTRIES: number;
export declare function spoolPath(env: Record<string, string | undefined>, appRoot: string): string;
export declare function sendHook(opts: {
  env: Record<string, string | undefined>;
  appRoot: string;
  stdin?: NodeJS.ReadableStream;
  stderr?: { write(s: string): unknown };
  now?: () => number;
}): Promise<{ delivered: number; spooled: number; dropped: number }>;
