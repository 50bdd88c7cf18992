"use client";

import dynamic from "next/dynamic";
import { useState } from "react";
import type { SessionWorkItem } from "@/lib/schemas/sessions";
import { Button } from "../ui/ui";

// The launch form (its queries, the subagent picker) loads on the first click: most visits to a
// change, a failure or the sessions list never open it.
const LaunchDialog = dynamic(() => import("./launch-dialog").then((m) => m.LaunchDialog), { ssr: false });

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
      {used ? <LaunchDialog projectId={projectId} workItem={workItem} open={open} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
