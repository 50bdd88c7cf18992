import { MarkdownContent } from "./markdown-render";

/**
 * The server's (and tests') side of <Markdown>: renders the text in full. The browser build
 * resolves this module to markdown-body.browser.tsx instead (next.config.ts, turbopack.resolveAlias),
 * which keeps this HTML through hydration and loads the parser only to render new text.
 */
export function MarkdownBody({ text, className }: { text: string; className: string }) {
  return (
    <div className={className}>
      <MarkdownContent text={text} />
    </div>
  );
}
