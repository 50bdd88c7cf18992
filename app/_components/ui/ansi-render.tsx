import type { CSSProperties } from "react";

/**
 * Terminal text (Playwright code frames, coloured matcher output) as React spans. The SGR codes
 * (colours, bold, dim, italic, underline, reverse) become inline styles; every other escape
 * sequence is dropped. React escapes each piece of text, so nothing from a report is ever parsed
 * as HTML (no dangerouslySetInnerHTML). Colours are RGB triples, which covers the 16, 256 and
 * true-colour palettes alike. A ~60-line parser instead of anser (issue 12); the browser loads it
 * only for text the server did not render (ansi-body.browser.tsx).
 */
export function AnsiContent({ text }: { text: string }) {
  return (
    <code>
      {parseAnsi(text).map((part, i) =>
        part.style ? (
          <span key={i} style={part.style} data-ansi="">
            {part.content}
          </span>
        ) : (
          <span key={i}>{part.content}</span>
        ),
      )}
    </code>
  );
}

/** The 16 basic colours (normal, then bright), as terminals on a dark background show them. */
const BASIC = [
  "0, 0, 0",
  "187, 0, 0",
  "0, 187, 0",
  "187, 187, 0",
  "0, 0, 187",
  "187, 0, 187",
  "0, 187, 187",
  "255, 255, 255",
  "85, 85, 85",
  "255, 85, 85",
  "0, 255, 0",
  "255, 255, 85",
  "85, 85, 255",
  "255, 85, 255",
  "85, 255, 255",
  "255, 255, 255",
];

/** xterm's 256 colours: the 16 basic ones, a 6×6×6 cube, then 24 greys. */
function color256(n: number): string | null {
  if (n < 16) return BASIC[n] ?? null;
  if (n < 232) {
    const level = (v: number) => (v ? 55 + v * 40 : 0);
    const i = n - 16;
    return `${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)}`;
  }
  if (n < 256) {
    const grey = 8 + (n - 232) * 10;
    return `${grey}, ${grey}, ${grey}`;
  }
  return null;
}

type Pen = { fg: string | null; bg: string | null; bold: boolean; dim: boolean; italic: boolean; underline: boolean; reverse: boolean };
const PLAIN: Pen = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, reverse: false };

/** Applies one SGR sequence's codes (`1;31`, `38;5;208`, `48;2;10;20;30`) to the pen. */
function apply(pen: Pen, params: string): Pen {
  const codes = params === "" ? [0] : params.split(";").map(Number);
  let next = { ...pen };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 38 || code === 48) {
      const mode = codes[i + 1];
      const value = mode === 5 ? color256(codes[i + 2] ?? -1) : mode === 2 ? codes.slice(i + 2, i + 5).join(", ") : null;
      i += mode === 5 ? 2 : mode === 2 ? 4 : 1;
      next = code === 38 ? { ...next, fg: value } : { ...next, bg: value };
    } else if (code === 0) next = { ...PLAIN };
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 7) next.reverse = true;
    else if (code === 22) next = { ...next, bold: false, dim: false };
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 27) next.reverse = false;
    else if (code >= 30 && code <= 37) next.fg = BASIC[code - 30]!;
    else if (code === 39) next.fg = null;
    else if (code >= 40 && code <= 47) next.bg = BASIC[code - 40]!;
    else if (code === 49) next.bg = null;
    else if (code >= 90 && code <= 97) next.fg = BASIC[code - 82]!;
    else if (code >= 100 && code <= 107) next.bg = BASIC[code - 92]!;
  }
  return next;
}

function styleOf(pen: Pen): CSSProperties | null {
  const style: CSSProperties = {};
  const { fg, bg, reverse } = pen;
  if (fg) style[reverse ? "backgroundColor" : "color"] = `rgb(${fg})`;
  if (bg) style[reverse ? "color" : "backgroundColor"] = `rgb(${bg})`;
  if (reverse && !fg) style.backgroundColor = "rgb(228, 228, 231)";
  if (reverse && !bg) style.color = "rgb(9, 9, 11)";
  if (pen.bold) style.fontWeight = 600;
  if (pen.dim) style.opacity = 0.6;
  if (pen.italic) style.fontStyle = "italic";
  if (pen.underline) style.textDecoration = "underline";
  return Object.keys(style).length ? style : null;
}

/** Any CSI sequence (ESC [ params final-byte); only those ending in `m` (SGR) change the pen. */
const CSI = /\u001b\[([0-9;?]*)([@-~])/g;

export function parseAnsi(text: string): { content: string; style: CSSProperties | null }[] {
  const parts: { content: string; style: CSSProperties | null }[] = [];
  let pen = PLAIN;
  let last = 0;
  const push = (content: string) => {
    if (content) parts.push({ content, style: styleOf(pen) });
  };
  for (const match of text.matchAll(CSI)) {
    push(text.slice(last, match.index));
    if (match[2] === "m") pen = apply(pen, match[1]!);
    last = match.index + match[0].length;
  }
  // A lone ESC (a cut-off sequence) is not shown as text.
  push(text.slice(last).replace(/\u001b/g, ""));
  return parts;
}
