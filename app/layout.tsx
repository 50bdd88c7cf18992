import type { Metadata } from "next";
import type { ReactNode } from "react";
import { HydrationMarker } from "./_components/shell/hydration-marker";
import { TRPCReactProvider } from "@/lib/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { template: "%s · Workdeck", default: "Workdeck" },
  description: "OpenSpec changes, Playwright failures and Claude Code sessions across your codebases",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <TRPCReactProvider>{children}</TRPCReactProvider>
        <HydrationMarker />
      </body>
    </html>
  );
}
