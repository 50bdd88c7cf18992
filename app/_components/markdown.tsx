import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

/** OpenSpec markdown as written on disk; raw HTML stays text (react-markdown's default), so files cannot inject markup. */
export function Markdown({ children, className = "" }: { children: string; className?: string }) {
  return (
    <div className={`markdown ${className}`}>
      <ReactMarkdown remarkPlugins={[remarkGfm]}>{children}</ReactMarkdown>
    </div>
  );
}
