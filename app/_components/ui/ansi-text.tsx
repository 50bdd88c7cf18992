import { AnsiBody } from "@/app/_components/ui/ansi-body";

/**
 * Terminal output as written, colours included, on a dark background (the palette is designed
 * for one). Rendered on the server; the browser keeps that HTML and loads the parser
 * (ansi-render.tsx) only when it must render new text (see ansi-body.browser.tsx).
 */
export function AnsiText({ text, className = "" }: { text: string; className?: string }) {
  return (
    <AnsiBody
      text={text}
      className={`overflow-x-auto whitespace-pre rounded-md bg-zinc-950 p-3 font-mono text-xs leading-5 text-zinc-100 ${className}`}
    />
  );
}
