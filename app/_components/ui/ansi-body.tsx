import { AnsiContent } from "./ansi-render";

/**
 * The server's (and tests') side of <AnsiText>: renders the text in full. The browser build
 * resolves this module to ansi-body.browser.tsx instead (next.config.ts, turbopack.resolveAlias),
 * which keeps this HTML through hydration and loads the parser only to render new text.
 */
export function AnsiBody({ text, className }: { text: string; className: string }) {
  return (
    <pre className={className}>
      <AnsiContent text={text} />
    </pre>
  );
}
