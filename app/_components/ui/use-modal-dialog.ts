"use client";

import { useEffect, useRef } from "react";

/**
 * A `<dialog>` that follows `open`: showModal() gives focus trapping, Escape and an inert
 * background for free. Returns the ref for the dialog element.
 */
export function useModalDialog(open: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}
