import { FakeAnthropic, type LoggedRequest } from "../tests/support/fake-anthropic";

/**
 * The fake Messages API of the sessions bench, in its own process so its CPU is not counted as
 * the server's. Every main-loop request is answered with a long streamed text (many
 * text deltas) and a Bash call, until the conversation holds TURNS tool results; then a final
 * streamed text. Prints its URL on the first stdout line.
 */
const turns = Number(process.env.BENCH_TURNS ?? 10);
const chars = Number(process.env.BENCH_TEXT_CHARS ?? 2_000);
const text = "Streaming a long explanation of the change, one small delta at a time. ".repeat(Math.ceil(chars / 72)).slice(0, chars);

function toolResults(req: LoggedRequest): number {
  return (req.body?.messages ?? []).reduce(
    (n, m) => n + (Array.isArray(m.content) ? m.content.filter((b) => b.type === "tool_result").length : 0),
    0,
  );
}

const fake = await FakeAnthropic.start();
fake.when(
  (r) => r.main,
  (r) => (toolResults(r) < turns ? { kind: "tool_use", name: "Bash", input: { command: "true" }, text } : { kind: "text", text }),
);
process.stdout.write(`${fake.url}\n`);
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
