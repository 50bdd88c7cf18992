import { benchOpenSpec } from "./openspec";
import { printRows } from "./stats";

/** `npm run bench`: figures as absolute numbers and ratios to their targets. */
async function main() {
  process.stdout.write(`Workdeck bench on ${process.platform} ${process.arch}, Node ${process.version}\n\n`);
  printRows(await benchOpenSpec());
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
