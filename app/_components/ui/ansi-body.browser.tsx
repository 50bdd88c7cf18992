"use client";

import { serverHtmlBody } from "./server-html-body";

/** Escape sequences, for the plain text shown while the parser loads. */
const ESCAPES = /\u001b(\[[0-9;?]*[@-~])?/g;

/** The browser's side of <AnsiText>: the server's HTML is kept, the parser loads for new text (server-html-body.tsx). */
export const AnsiBody = serverHtmlBody(
  () => import("./ansi-render").then((m) => m.AnsiContent),
  "pre",
  (text) => <code>{text.replace(ESCAPES, "")}</code>,
);
