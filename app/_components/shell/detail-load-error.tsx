"use client";

import { lazy, Suspense } from "react";
import type { DetailLoadErrorProps } from "./detail-load-error-body";

// Only a detail page whose item failed to load shows it: the others do not ship it (issue 12).
const Body = lazy(() => import("./detail-load-error-body").then((m) => ({ default: m.DetailLoadErrorBody })));

/**
 * A detail page (session, spec, change, failure) whose item did not load: its header, then why
 * (missing, or failed) and a link back to its section.
 */
export function DetailLoadError(props: DetailLoadErrorProps) {
  return (
    <Suspense fallback={null}>
      <Body {...props} />
    </Suspense>
  );
}
