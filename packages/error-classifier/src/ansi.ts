/**
 * ANSI handling. Playwright's worker always runs with FORCE_COLOR=1, so matcher text is coloured
 * in every report, and code frames are coloured when the runner had a TTY or FORCE_COLOR
 * (reference/playwright-json.md §4). Diffs use inverse video (`\x1b[7m`) inside strings, so a
 * regex limited to colour codes would leave `"$` `9` `0.00"` split apart.
 *
 * Written here rather than importing `strip-ansi`: it is only a transitive dependency in
 * node_modules, and the one regex we need is smaller than the dependency.
 */

// CSI sequences (SGR and cursor/erase codes: ESC [ params intermediates final) and OSC sequences
// (e.g. OSC 8 hyperlinks, terminated by BEL or ESC \).
const ANSI_PATTERN = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u009b[0-?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.includes("\u001b") || text.includes("\u009b") ? text.replace(ANSI_PATTERN, "") : text;
}
