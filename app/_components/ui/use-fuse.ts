"use client";

import type FuseType from "fuse.js";
import { useEffect, useState } from "react";

export type FuseClass = typeof FuseType;

let loaded: FuseClass | null = null;
let loading: Promise<FuseClass> | null = null;

/**
 * Fuse, the fuzzy matcher of the list searches (about 9 KB gzipped), loads the first time a search
 * is typed (or arrives in the URL): a list shown unfiltered never downloads it. Until it is here
 * the list stays unfiltered, a few milliseconds on this machine.
 */
export function useFuse(needed: boolean): FuseClass | null {
  const [Fuse, setFuse] = useState<FuseClass | null>(() => loaded);
  useEffect(() => {
    if (!needed || Fuse) return;
    let live = true;
    loading ??= import("fuse.js").then((m) => (loaded = m.default));
    void loading.then((F) => {
      if (live) setFuse(() => F);
    });
    return () => {
      live = false;
    };
  }, [needed, Fuse]);
  return Fuse;
}
