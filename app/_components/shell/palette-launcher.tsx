"use client";

import dynamic from "next/dynamic";
import { useEffect, useState } from "react";

/** Opens on Cmd+K / Ctrl+K anywhere; also through the header's button (a custom event). */
export const OPEN_PALETTE_EVENT = "workdeck:open-palette";

// cmdk, its Radix dialog and Fuse are a fifth of the shell's JS and most visits never open the
// palette: they load on the first open, and stay mounted after it.
const CommandPalette = dynamic(() => import("./command-palette").then((m) => m.CommandPalette), { ssr: false });

/** The shortcut and the open state live here, in the shell; the palette itself is loaded on demand. */
export function PaletteLauncher() {
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.key === "k" || e.key === "K") && (e.metaKey || e.ctrlKey)) {
        e.preventDefault();
        setLoaded(true);
        setOpen((o) => !o);
      }
    };
    const onOpen = () => {
      setLoaded(true);
      setOpen(true);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener(OPEN_PALETTE_EVENT, onOpen);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener(OPEN_PALETTE_EVENT, onOpen);
    };
  }, []);

  return loaded ? <CommandPalette open={open} onOpenChange={setOpen} /> : null;
}
