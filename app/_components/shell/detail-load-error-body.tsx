"use client";

import Link from "@/app/_components/ui/link";
import type { ComponentProps, ReactNode } from "react";
import { ErrorState } from "../ui/ui";
import { PageHeader } from "./page-header";
import { TRPCClientError } from "@/lib/trpc/react";

/** What <DetailLoadError> shows: the page's header, why (missing, or failed), a link back to its section. */
export type DetailLoadErrorProps = {
  header: ComponentProps<typeof PageHeader>;
  error: { message: string };
  /** The title when the server answered NOT_FOUND. */
  missing: string;
  failed: string;
  /** Said after the link back when the item is missing. */
  missingNote?: ReactNode;
};

export function DetailLoadErrorBody({ header, error, missing, failed, missingNote }: DetailLoadErrorProps) {
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
