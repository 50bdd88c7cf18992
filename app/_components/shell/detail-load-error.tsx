"use client";

import Link from "@/app/_components/ui/link";
import type { ComponentProps, ReactNode } from "react";
import { ErrorState } from "../ui/ui";
import { PageHeader } from "./page-header";
import { TRPCClientError } from "@/lib/trpc/react";

/**
 * A detail page (session, spec, change, failure) whose item did not load: its header, then why
 * (missing, or failed) and a link back to its section.
 */
export function DetailLoadError({
  header,
  error,
  missing,
  failed,
  missingNote,
}: {
  header: ComponentProps<typeof PageHeader>;
  error: { message: string };
  /** The title when the server answered NOT_FOUND. */
  missing: string;
  failed: string;
  /** Said after the link back when the item is missing. */
  missingNote?: ReactNode;
}) {
  const notFound = error instanceof TRPCClientError && error.data?.code === "NOT_FOUND";
  return (
    <>
      <PageHeader {...header} />
      <ErrorState title={notFound ? missing : failed} message={error.message}>
        <p className="mt-2">
          <Link href={header.sectionHref} className="underline">
            Back to {header.section}
          </Link>
          {notFound ? missingNote : null}
        </p>
      </ErrorState>
    </>
  );
}
