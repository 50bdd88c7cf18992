import type { Metadata } from "next";
import type { ReactNode } from "react";
import { HydrationMarker } from "./_components/shell/hydration-marker";
import "./globals.css";

export const metadata: Metadata = {
  title: { template: "%s · Workdeck", default: "Workdeck" },
  description: "OpenSpec changes, Playwright failures and Claude Code sessions across your codebases",
};

/** No data layer here: /login and the redirects need none; the dashboard layout brings tRPC and React Query. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        {children}
        <HydrationMarker />
      </body>
    </html>
  );
}
