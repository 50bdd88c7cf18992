/**
 * Tricky archive fixtures, each run through the official CLI and through ours
 * (test/archive-differential.test.ts). A case is the base root plus the files
 * of one change; `args` are the extra CLI flags.
 */
const scenario = (name: string) => `#### Scenario: ${name}\n- **WHEN** it happens\n- **THEN** it is handled\n`;
const req = (name: string, text = `The system SHALL support ${name.toLowerCase()}.`, scenarios = ['Works']) =>
  `### Requirement: ${name}\n${text}\n\n${scenarios.map(scenario).join('\n')}`;
const crlf = (s: string) => s.replace(/\n/g, '\r\n');

export const base: Record<string, string> = {
  'openspec/config.yaml': 'schema: spec-driven\n',
  'openspec/specs/auth/spec.md':
    '# auth Specification\n\n## Purpose\nAuthentication and sessions for every user of the product.\n\n## Requirements\n' +
    `${req('Login', 'The system SHALL log users in.', ['Valid password', 'Wrong password'])}\n${req('Logout')}\n${req('Session timeout')}`,
  'openspec/specs/billing/spec.md': crlf(
    '# billing Specification\n\n## Purpose\nInvoices and payments for paying customers of the product.\n\n## Requirements\n' +
      `${req('Invoices')}\n${req('Refunds')}`,
  ),
  'openspec/specs/legacy/spec.md':
    '# legacy Specification\n\n## Purpose\nThe legacy export that old integrations still call today.\n\n## Requirements\n' + req('Export'),
  'openspec/changes/unrelated/proposal.md': '# Unrelated\n\n## Why\nx\n\n## What Changes\n- y\n',
};

const meta = (extra = '') => `schema: spec-driven\ncreated: 2025-01-01\n${extra}`;
const done = '## 1. Work\n- [x] 1.1 Done\n';

export interface ArchiveCase {
  name: string;
  change: string;
  files: Record<string, string>;
  symlinks?: Record<string, string>;
  dirs?: string[];
  args?: string[];
}

const change = (id: string, files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [`openspec/changes/${id}/${k}`, v]));

export const cases: ArchiveCase[] = [
  {
    name: 'MODIFIED target missing',
    change: 'modify-missing',
    files: change('modify-missing', { 'tasks.md': done, 'specs/auth/spec.md': `## MODIFIED Requirements\n${req('Password reset')}` }),
  },
  {
    name: 'ADDED duplicate with different content',
    change: 'add-dup',
    files: change('add-dup', { 'specs/auth/spec.md': `## ADDED Requirements\n${req('Logout', 'The system SHALL log out everywhere.')}` }),
  },
  {
    name: 'ADDED case-only near-miss',
    change: 'add-near-miss',
    files: change('add-near-miss', { 'specs/auth/spec.md': `## ADDED Requirements\n${req('session  Timeout')}` }),
  },
  {
    name: 'MODIFIED drops a scenario',
    change: 'scenario-loss',
    files: change('scenario-loss', {
      'specs/auth/spec.md': `## MODIFIED Requirements\n${req('Login', 'The system SHALL log users in quickly.', ['Valid password'])}`,
    }),
  },
  {
    name: 'rebuilt spec invalid (last requirement removed, no marker)',
    change: 'drop-legacy',
    files: change('drop-legacy', {
      '.openspec.yaml': meta(),
      'specs/legacy/spec.md': '## REMOVED Requirements\n### Requirement: Export\n**Reason**: unused\n',
    }),
  },
  {
    name: 'retire_capabilities deletes the emptied spec',
    change: 'retire-legacy',
    files: change('retire-legacy', {
      '.openspec.yaml': meta('retire_capabilities: true\n'),
      'specs/legacy/spec.md': '## REMOVED Requirements\n### Requirement: Export\n**Reason**: unused\n',
    }),
  },
  {
    name: 'target exists (date-prefixed id keeps its name)',
    change: '2024-03-04-old-work',
    files: {
      ...change('2024-03-04-old-work', { 'proposal.md': '# Old\n\n## Why\nx\n\n## What Changes\n- y\n' }),
      'openspec/changes/archive/2024-03-04-old-work/proposal.md': '# Old\n',
    },
  },
  {
    name: 'namespace folder',
    change: 'mobile',
    files: { 'openspec/changes/mobile/refresh-token/proposal.md': '# Refresh\n\n## Why\nx\n\n## What Changes\n- y\n' },
  },
  {
    name: 'symlinked change dir',
    change: 'linked',
    files: { 'elsewhere/real/proposal.md': '# Real\n\n## Why\nx\n\n## What Changes\n- y\n' },
    symlinks: { 'openspec/changes/linked': '../../elsewhere/real' },
  },
  {
    name: 'change not found lists the available ones',
    change: 'nope',
    files: change('zeta', { 'proposal.md': '# Z\n' }),
  },
  {
    name: 'CRLF main spec stays CRLF (MODIFIED + ADDED + REMOVED)',
    change: 'billing-v2',
    files: change('billing-v2', {
      'tasks.md': done,
      'specs/billing/spec.md': crlf(
        `## MODIFIED Requirements\n${req('Invoices', 'The system SHALL email invoices as PDF.')}\n## ADDED Requirements\n${req('Credit notes')}\n## REMOVED Requirements\n### Requirement: Refunds\n**Reason**: moved\n`,
      ),
    }),
  },
  {
    name: 'new specs: carried Purpose, placeholder Purpose, nested id, REMOVED ignored',
    change: 'new-caps',
    files: change('new-caps', {
      'specs/notifications/spec.md': `## Purpose\nNotify users about events that concern their account or billing.\n\n## ADDED Requirements\n${req('Email')}\n## REMOVED Requirements\n### Requirement: Fax\n`,
      'specs/platform/audit/spec.md': `## ADDED Requirements\n${req('Audit log')}`,
      'specs/short/spec.md': `## Purpose\nToo short.\n\n## ADDED Requirements\n${req('Tiny')}`,
    }),
  },
  {
    name: 'RENAMED + MODIFIED under the new name, plus REMOVED already gone and an orphan',
    change: 'rename-logout',
    files: change('rename-logout', {
      'specs/auth/spec.md':
        '# Orphan above\n### Requirement: Floating\nThe system SHALL float.\n\n#### Scenario: F\n- x\n\n' +
        '## RENAMED Requirements\n- FROM: `### Requirement: Logout`\n- TO: `### Requirement: Sign out`\n\n' +
        `## MODIFIED Requirements\n${req('Sign out', 'The system SHALL sign users out on every device.')}\n` +
        '## REMOVED Requirements\n### Requirement: Remember me\n',
    }),
  },
  {
    name: '--skip-specs moves without merging',
    change: 'skip-merge',
    files: change('skip-merge', { 'specs/auth/spec.md': `## ADDED Requirements\n${req('Captcha')}` }),
    args: ['--skip-specs'],
  },
  {
    name: 'delta validation fails (requirement without scenario)',
    change: 'bad-delta',
    files: change('bad-delta', {
      'specs/auth/spec.md': '## ADDED Requirements\n### Requirement: Captcha\nThe system SHALL show a captcha.\n',
    }),
  },
  {
    name: '--no-validate archives what validation would refuse',
    change: 'bad-delta-forced',
    files: change('bad-delta-forced', {
      'specs/auth/spec.md': '## ADDED Requirements\n### Requirement: Captcha\nThe system SHALL show a captcha.\n',
    }),
    args: ['--no-validate'],
  },
  {
    name: 'already synced ADDED is a no-op',
    change: 'synced',
    files: change('synced', { 'specs/auth/spec.md': `## ADDED Requirements\n${req('Logout')}` }),
  },
  {
    name: 'retirement refused: content the merge cannot name',
    change: 'retire-noted',
    files: {
      'openspec/specs/legacy/spec.md':
        '# legacy Specification\n\n## Purpose\nThe legacy export that old integrations still call today.\n\n## Notes\nKeep this.\n\n## Requirements\n' +
        req('Export'),
      ...change('retire-noted', {
        '.openspec.yaml': meta('retire_capabilities: true\n'),
        'specs/legacy/spec.md': '## REMOVED Requirements\n### Requirement: Export\n',
      }),
    },
  },
  {
    name: 'dot-directory change with skip_specs and no deltas',
    change: '.hidden-chore',
    files: change('.hidden-chore', { '.openspec.yaml': meta('skip_specs: true\n'), 'tasks.md': done }),
  },
  {
    name: 'incomplete tasks without --yes',
    change: 'unfinished',
    files: change('unfinished', { 'tasks.md': '## 1. Work\n- [x] 1.1 a\n- [ ] 1.2 b\n- [~] 1.3 c\n' }),
    args: ['--no-yes'],
  },
  {
    name: 'structurally invalid target spec',
    change: 'touch-broken',
    files: {
      'openspec/specs/broken/spec.md':
        '# broken\n\n## Purpose\nA spec someone broke by pasting a delta into it.\n\n## ADDED Requirements\n' +
        req('Thing') +
        '\n## Requirements\n' +
        req('Other'),
      ...change('touch-broken', { 'specs/broken/spec.md': `## ADDED Requirements\n${req('New thing')}` }),
    },
  },
];
