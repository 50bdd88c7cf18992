"use client";

import { useEffect, useState, type ComponentType } from "react";

/** Opens on Cmd+K / Ctrl+K anywhere; also through the header's button (a custom event). */
export const OPEN_PALETTE_EVENT = "workdeck:open-palette";

// cmdk, its Radix dialog and Fuse are a fifth of the shell's JS and most visits never open the
// palette: they load on the first open, and stay mounted after it (a plain import(): next/dynamic's
// wrapper cost the shell more than this).
type Palette = ComponentType<{ open: boolean; onOpenChange(open: boolean): void }>;
let loading: Promise<Palette> | null = null;
const loadPalette = () => (loading ??= import("./command-palette").then((m) => m.CommandPalette));

/** The shortcut and the open state live here, in the shell; the palette itself is loaded on demand. */
export function PaletteLauncher() {
  const [open, setOpen] = useState(false);
  const [Palette, setPalette] = useState<Palette | null>(null);

  useEffect(() => {
    const load = () =>
      void loadPalette().then(
        (component) => setPalette(() => component),
        () => (loading = null),
      );
    const onKey = (e: KeyboardEvent) => {
      if ((e.key === "k" || e.key === "K") && (e.metaKey || e.ctrlKey)) {
        e.preventDefault();
        load();
        setOpen((o) => !o);
      }
    };
    const onOpen = () => {
      load();
      setOpen(true);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener(OPEN_PALETTE_EVENT, onOpen);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener(OPEN_PALETTE_EVENT, onOpen);
    };
  }, []);

  return Palette ? <Palette open={open} onOpenChange={setOpen} /> : null;
}
