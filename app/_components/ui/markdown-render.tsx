import type { ComponentPropsWithoutRef } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

type HeadingProps = ComponentPropsWithoutRef<"h1"> & { node?: unknown };

/**
 * Files start at "# Title", but the page already has its h1 and section h2s:
 * headings shift down so the outline stays one h1 per page. The class keeps
 * the author's visual hierarchy.
 */
const shifted = (Tag: "h3" | "h4" | "h5" | "h6", level: number) =>
  function Heading({ node: _node, ...props }: HeadingProps) {
    return <Tag {...props} className={`md-h${level}`} />;
  };

const COMPONENTS: Components = {
  h1: shifted("h3", 1),
  h2: shifted("h4", 2),
  h3: shifted("h5", 3),
  h4: shifted("h6", 4),
  h5: shifted("h6", 5),
  h6: shifted("h6", 6),
};

/** The parser and renderer (react-markdown + GFM, about 35 KB gzipped): raw HTML stays text (react-markdown's default), so files cannot inject markup. */
export function MarkdownContent({ text }: { text: string }) {
  return (
    <ReactMarkdown remarkPlugins={[remarkGfm]} components={COMPONENTS}>
      {text}
    </ReactMarkdown>
  );
}
