import Anser from "anser";
import { useMemo, type CSSProperties } from "react";

/**
 * Terminal text (Playwright code frames, coloured matcher output) as React
 * spans. anser parses the SGR codes into JSON entries; React escapes each
 * piece of text, so nothing from a report is ever parsed as HTML (no
 * dangerouslySetInnerHTML). Colours are anser's RGB triples as inline styles,
 * which covers the 16, 256 and true-colour palettes alike; the block has a
 * dark background because that palette is designed for one.
 */
export function AnsiText({ text, className = "" }: { text: string; className?: string }) {
  const parts = useMemo(() => Anser.ansiToJson(text, { json: true, remove_empty: true }), [text]);
  return (
    <pre className={`overflow-x-auto whitespace-pre rounded-md bg-zinc-950 p-3 font-mono text-xs leading-5 text-zinc-100 ${className}`}>
      <code>
        {parts.map((part, i) => {
          const style = styleOf(part);
          return style ? (
            <span key={i} style={style} data-ansi="">
              {part.content}
            </span>
          ) : (
            <span key={i}>{part.content}</span>
          );
        })}
      </code>
    </pre>
  );
}

function styleOf(part: Anser.AnserJsonEntry): CSSProperties | null {
  const style: CSSProperties = {};
  const fg = part.fg_truecolor || part.fg;
  const bg = part.bg_truecolor || part.bg;
  const reverse = part.decorations.includes("reverse");
  if (fg) style[reverse ? "backgroundColor" : "color"] = `rgb(${fg})`;
  if (bg) style[reverse ? "color" : "backgroundColor"] = `rgb(${bg})`;
  if (reverse && !fg) style.backgroundColor = "rgb(228, 228, 231)";
  if (reverse && !bg) style.color = "rgb(9, 9, 11)";
  if (part.decorations.includes("bold")) style.fontWeight = 600;
  if (part.decorations.includes("dim")) style.opacity = 0.6;
  if (part.decorations.includes("italic")) style.fontStyle = "italic";
  if (part.decorations.includes("underline")) style.textDecoration = "underline";
  return Object.keys(style).length ? style : null;
}
