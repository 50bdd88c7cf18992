"use client";

import { useEffect } from "react";

/**
 * Marks <html data-hydrated="true"> once React owns the page, so end-to-end
 * tests wait for event handlers instead of typing into inert server HTML.
 */
export function HydrationMarker() {
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return null;
}
