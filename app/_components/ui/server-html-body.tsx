"use client";

import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ComponentType, type ReactNode } from "react";

export type TextContent = ComponentType<{ text: string }>;

const subscribe = () => () => {};

/**
 * The browser's side of text the server renders with a parser (markdown, terminal output). A
 * server-rendered page already holds the HTML of its text: hydration keeps it (an empty
 * `dangerouslySetInnerHTML` is never written over server HTML), so a first visit downloads no
 * parser. The parser loads on demand, when the text changes (a live update, an editor's preview)
 * or the component mounts on a client-side navigation; until then the previous HTML, or the
 * plain text (`fallback`), stays on screen.
 */
export function serverHtmlBody(load: () => Promise<TextContent>, Tag: "div" | "pre", fallback: (text: string) => ReactNode) {
  /** The parser, once loaded: every later render is synchronous. */
  let loaded: TextContent | null = null;
  let loading: Promise<TextContent> | null = null;
  const loadContent = () => (loading ??= load().then((c) => (loaded = c)));

  return function ServerHtmlBody({ text, className }: { text: string; className: string }) {
    // True only while React hydrates server HTML (the server snapshot is read then, and only then).
    const hydrating = useSyncExternalStore(
      subscribe,
      () => false,
      () => true,
    );
    const [serverText, setServerText] = useState(() => (hydrating ? text : null));
    const [Content, setContent] = useState<TextContent | null>(() => loaded);
    const ref = useRef<HTMLElement>(null);
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

    if (keepServerHtml)
      return <Tag ref={ref as never} className={className} dangerouslySetInnerHTML={{ __html: "" }} suppressHydrationWarning />;
    return <Tag className={className}>{Content ? <Content text={text} /> : fallback(text)}</Tag>;
  };
}
