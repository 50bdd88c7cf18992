/**
 * `runOpenSpecJson(argv, rootDir)`: the official CLI's `list`, `show`,
 * `validate` (and the deprecated `change list` / `spec list`) answered as
 * the JSON document it prints with `--json`, plus its exit code. `rootDir`
 * is the project folder (the one holding `openspec/`); it is reported as the
 * "nearest" root, as the CLI does when run inside it.
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { archiveChange, archiveEnvelope } from './archive/fs';
import { readTree } from './read';
import type { OpenSpecTree } from './tree';
import { runCommand, type CliJsonResult, type StatusDoc } from './commands/run';

export type { CliJsonResult } from './commands/run';

export async function runOpenSpecJsonOnTree(argv: readonly string[], rootDir: string, tree: OpenSpecTree): Promise<CliJsonResult> {
  const root = { path: path.resolve(rootDir), source: 'nearest' };
  let result: CliJsonResult | undefined;
  const program = new Command('openspec')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false);
  const on = (name: string) => (positionals: Array<string | undefined>, options: Record<string, unknown>) => {
    result = runCommand(name, positionals, options, { tree, root });
  };
  const common = (c: Command) =>
    c.option('--json').option('--no-color').option('--store <id>').option('--no-interactive').allowUnknownOption();
  common(program.command('list'))
    .option('--specs')
    .option('--changes')
    .option('--sort <order>')
    .option('--long')
    .action((o) => on('list')([], o));
  common(program.command('show [item]'))
    .option('--type <type>')
    .option('--deltas-only')
    .option('--requirements-only')
    .option('--diff')
    .option('--requirements')
    .option('--no-scenarios')
    .option('-r, --requirement <n>')
    .action((item, o) => on('show')([item], o));
  common(program.command('validate [item]'))
    .option('--all')
    .option('--changes')
    .option('--specs')
    .option('--archived')
    .option('--report <kind>')
    .option('--type <type>')
    .option('--strict')
    .option('--concurrency <n>')
    .action((item, o) => on('validate')([item], o));
  common(program.command('archive [change]'))
    .option('-y, --yes')
    .option('--skip-specs')
    .option('--no-validate')
    .action(async (change: string | undefined, o: Record<string, unknown>) => {
      // The only command that writes: it reads the disk itself, under the lock.
      const outcome = await archiveChange(root.path, change ?? '', {
        yes: Boolean(o.yes),
        skipSpecs: Boolean(o.skipSpecs),
        noValidate: o.validate === false,
      });
      result = { json: archiveEnvelope(outcome, root), exitCode: outcome.ok ? 0 : 1 };
    });
  for (const noun of ['change', 'spec'] as const) {
    const group = program.command(noun);
    common(group.command('list'))
      .option('--long')
      .action((o) => on(`${noun} list`)([], o));
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { json: status('invalid_arguments', error.message.replace(/^error: /, '')), exitCode: 1 };
  }
  return result ?? { json: status('invalid_arguments', `Unsupported command: ${argv.join(' ')}`), exitCode: 1 };
}

const status = (code: string, message: string): StatusDoc => ({ status: [{ severity: 'error', code, message }] });

export async function runOpenSpecJson(argv: readonly string[], rootDir: string): Promise<CliJsonResult> {
  return runOpenSpecJsonOnTree(argv, rootDir, readTree(rootDir));
}
