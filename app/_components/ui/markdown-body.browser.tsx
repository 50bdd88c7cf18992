"use client";

import { serverHtmlBody } from "./server-html-body";

/** The browser's side of <Markdown>: the server's HTML is kept, the parser loads for new text (server-html-body.tsx). */
export const MarkdownBody = serverHtmlBody(
  () => import("./markdown-render").then((m) => m.MarkdownContent),
  "div",
  (text) => <p className="whitespace-pre-wrap">{text}</p>,
);
