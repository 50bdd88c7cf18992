"use client";

import { lazy, Suspense, useState } from "react";
import type { SessionWorkItem } from "@/lib/schemas/sessions";
import { Button } from "../ui/ui";

// The launch form (its queries, the subagent picker) loads on the first click: most visits to a
// change, a failure or the sessions list never open it. React.lazy, not next/dynamic: its runtime
// cost every page with this button ~1.8 KB gzipped (issue 12).
const LaunchDialog = lazy(() => import("./launch-dialog").then((m) => ({ default: m.LaunchDialog })));

/** "Launch session": opens the launch dialog for a work item (none = a manual prompt). */
export function LaunchSessionButton({
  projectId,
  workItem,
  variant = "primary",
}: {
  projectId: string | null;
  workItem?: SessionWorkItem;
  variant?: "primary" | "secondary";
}) {
  const [open, setOpen] = useState(false);
  const [used, setUsed] = useState(false);
  return (
    <>
      <Button
        variant={variant}
        onClick={() => {
          setUsed(true);
          setOpen(true);
        }}
      >
        Launch session
      </Button>
      {used ? (
        <Suspense fallback={null}>
          <LaunchDialog projectId={projectId} workItem={workItem} open={open} onClose={() => setOpen(false)} />
        </Suspense>
      ) : null}
    </>
  );
}
