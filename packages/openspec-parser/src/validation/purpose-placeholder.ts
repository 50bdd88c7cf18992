// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/validation/purpose-placeholder.js
import { buildCodeFenceMask } from '../parsers/code-fence';
import { PURPOSE_PLACEHOLDER_PREFIX, PURPOSE_PLACEHOLDER_SUFFIX } from './constants';

const WORD_END = '(?![\\p{L}\\p{N}\\p{M}_])';
const MARKER_PUNCTUATION = '(?=[ \\t]*(?:$|\\n|[:\\-\u2013\u2014.,;()\\[\\]{}]))';
/** `TBD`/`TODO` in capitals is a marker whatever follows ... */
const LEADING_MARKER_SHOUTED = new RegExp(`^(?:TBD|TODO)${WORD_END}`, 'u');
/** ... in other cases only before punctuation or a line end ("Todo el..." is Spanish prose). */
const LEADING_MARKER_PUNCTUATED = new RegExp(`^(?:TBD|TODO)${WORD_END}${MARKER_PUNCTUATION}`, 'iu');
const PURPOSE_HEADER = /^ {0,3}##(?!#)[ \t]+Purpose[ \t]*$/i;
const TOP_LEVEL_HEADER = /^ {0,3}#{1,2}(?!#)[ \t]+/;

function unfencedLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const fenced = buildCodeFenceMask(lines);
  return lines.filter((_, index) => !fenced[index]);
}

function generatedPlaceholderPrefixIndex(text: string): number | undefined {
  let suffixAt = text.indexOf(PURPOSE_PLACEHOLDER_SUFFIX);
  while (suffixAt !== -1) {
    const prefixAt = text.lastIndexOf(PURPOSE_PLACEHOLDER_PREFIX, suffixAt);
    if (prefixAt !== -1) return prefixAt;
    suffixAt = text.indexOf(PURPOSE_PLACEHOLDER_SUFFIX, suffixAt + 1);
  }
  return undefined;
}

/** The Purpose is archive's placeholder sentence or opens with TBD/TODO; `line` when locatable. */
export function findPurposePlaceholderIssue(overview: string, content?: string): { line: number | undefined } | null {
  const prose = unfencedLines(overview).join('\n').trim();
  const leading = LEADING_MARKER_SHOUTED.test(prose) || LEADING_MARKER_PUNCTUATED.test(prose);
  if (!leading && generatedPlaceholderPrefixIndex(prose) === undefined) return null;
  return { line: content === undefined ? undefined : findPlaceholderLine(content, leading) };
}

function findPlaceholderLine(content: string, leading: boolean): number | undefined {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  const fenced = buildCodeFenceMask(lines);
  const headerIndex = lines.findIndex((line, index) => !fenced[index] && PURPOSE_HEADER.test(line));
  if (headerIndex === -1) return undefined;
  const purposeLines: Array<{ line: number; text: string }> = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (fenced[i]) continue;
    if (TOP_LEVEL_HEADER.test(lines[i])) break;
    if (leading && lines[i].trim()) return i + 1;
    purposeLines.push({ line: i + 1, text: lines[i] });
  }
  if (leading) return undefined;
  const purpose = purposeLines.map(({ text }) => text).join('\n');
  const prefixAt = generatedPlaceholderPrefixIndex(purpose);
  if (prefixAt === undefined) return undefined;
  const lineOffset = purpose.slice(0, prefixAt).split('\n').length - 1;
  return purposeLines[lineOffset]?.line;
}
