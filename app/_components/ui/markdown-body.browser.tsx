"use client";

import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ComponentType } from "react";

type Content = ComponentType<{ text: string }>;

/** The parser, once loaded: every later render is synchronous. */
let loaded: Content | null = null;
let loading: Promise<Content> | null = null;
function loadContent(): Promise<Content> {
  loading ??= import("./markdown-render").then((m) => (loaded = m.MarkdownContent));
  return loading;
}

const subscribe = () => () => {};

/**
 * The browser's side of <Markdown>. A server-rendered page already holds the HTML of its text:
 * hydration keeps it (an empty `dangerouslySetInnerHTML` is never written over server HTML),
 * so a first visit downloads no markdown code. The parser loads on demand, when the text changes
 * (a live update, an editor's preview) or the component mounts on a client-side navigation;
 * until then the previous HTML, or the plain text, stays on screen.
 */
export function MarkdownBody({ text, className }: { text: string; className: string }) {
  // True only while React hydrates server HTML (the server snapshot is read then, and only then).
  const hydrating = useSyncExternalStore(
    subscribe,
    () => false,
    () => true,
  );
  const [serverText, setServerText] = useState(() => (hydrating ? text : null));
  const [Content, setContent] = useState<Content | null>(() => loaded);
  const ref = useRef<HTMLDivElement>(null);
  const keepServerHtml = serverText !== null && (text === serverText || !Content);
  // Once React renders the text itself, the server's HTML is gone for good.
  if (serverText !== null && !keepServerHtml) setServerText(null);
  const needsParser = text !== serverText && !Content;

  useLayoutEffect(() => {
    // A boundary the server did not render hydrates with nothing to keep.
    if (serverText !== null && text && !ref.current?.hasChildNodes()) setServerText(null);
    // Only on mount: the server HTML is checked once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (!needsParser) return;
    let live = true;
    void loadContent().then((c) => {
      if (live) setContent(() => c);
    });
    return () => {
      live = false;
    };
  }, [needsParser]);

  if (keepServerHtml) return <div ref={ref} className={className} dangerouslySetInnerHTML={{ __html: "" }} suppressHydrationWarning />;
  if (Content)
    return (
      <div className={className}>
        <Content text={text} />
      </div>
    );
  return (
    <div className={className}>
      <p className="whitespace-pre-wrap">{text}</p>
    </div>
  );
}
