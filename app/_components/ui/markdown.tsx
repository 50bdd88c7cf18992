import { MarkdownBody } from "@/app/_components/ui/markdown-body";

/**
 * OpenSpec and assistant markdown as written. Rendered on the server; the browser keeps that HTML
 * and loads the parser only when it must render new text (see markdown-body.browser.tsx).
 */
export function Markdown({ children, className = "" }: { children: string; className?: string }) {
  return <MarkdownBody text={children} className={`markdown ${className}`} />;
}
