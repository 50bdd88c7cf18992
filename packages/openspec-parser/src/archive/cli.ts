/**
 * `openspec archive [change] --json [--yes] [--skip-specs] [--no-validate]` as a
 * command handler for `openSpecCommands` in ../cli-json.ts. Unlike the read
 * commands it ignores the pre-read tree: the archive re-reads the root under
 * its lock, so what it plans from is what it writes over.
 */
import type { CliJsonResult, CommandContext, ParsedArgs } from '../cli-json';
import { archiveChange } from './fs';
import { archiveEnvelope } from './plan';

export async function runArchiveCommand({ positionals, options }: ParsedArgs, ctx: CommandContext): Promise<CliJsonResult> {
  try {
    const outcome = await archiveChange(ctx.rootDir, positionals[0] ?? '', {
      yes: options.yes === true,
      skipSpecs: options['skip-specs'] === true,
      noValidate: options.validate === false,
    });
    return { json: archiveEnvelope(outcome, ctx.root), exitCode: outcome.ok ? 0 : 1 };
  } catch (error) {
    // What the CLI prints for an unexpected failure (after our rollback ran).
    const message = error instanceof Error ? error.message : String(error);
    return { json: { archive: null, root: ctx.root, status: [{ severity: 'error', code: 'archive_error', message }] }, exitCode: 1 };
  }
}
