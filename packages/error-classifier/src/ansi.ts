import { stripVTControlCharacters } from "node:util";

/**
 * ANSI handling. Playwright's worker always runs with FORCE_COLOR=1, so matcher text is coloured
 * in every report, and code frames are coloured when the runner had a TTY or FORCE_COLOR
 * (reference/playwright-json.md §4). Diffs use inverse video (`\x1b[7m`) inside strings, so a
 * regex limited to colour codes would leave `"$` `9` `0.00"` split apart.
 *
 * Node's own stripper covers every sequence the reports carry: CSI (SGR, cursor and erase codes,
 * inverse video), OSC (OSC 8 hyperlinks, ended by BEL or ESC \) and the 8-bit CSI.
 */
export function stripAnsi(text: string): string {
  return text.includes("\u001b") || text.includes("\u009b") ? stripVTControlCharacters(text) : text;
}
