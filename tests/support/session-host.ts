/**
 * A stand-in for a server process that runs sessions, for tests that must crash one (kill -9) or
 * keep one alive beside a second server: `node --import tsx tests/support/session-host.ts <spec
 * json> <prompt>`. It starts one session, prints `session <id>` and then keeps running until killed.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SessionRunner } from "@/server/sessions/service";
import { harnessDeps, type HarnessSpec } from "./session-harness";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const [specJson, prompt] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as HarnessSpec;
const runner = new SessionRunner(harnessDeps(spec, repoRoot), { accountCheckMs: 0 });
await runner.recover();
const { id } = await runner.start({ projectId: "demo", prompt: prompt ?? "run the tool" });
process.stdout.write(`session ${id}\n`);
setInterval(() => {}, 60_000);
