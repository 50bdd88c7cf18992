import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and Node-only packages stay outside the bundle.
  serverExternalPackages: ["better-sqlite3", "chokidar", "proper-lockfile", "pino", "tsx"],
  experimental: {
    // `next build` sizes its worker pool from the host's CPUs; keep it small
    // so a build on a 2-core machine does not starve everything else.
    cpus: 1,
    // Experimental for production builds: here, a cache left by a build that was killed (or ran
    // beside another) made the next `next build` compile for 40 minutes and more, against 40 s
    // without it.
    turbopackFileSystemCacheForBuild: false,
  },
  turbopack: {
    resolveAlias: {
      // Markdown is rendered on the server; the browser keeps that HTML and loads the parser on demand.
      "@/app/_components/ui/markdown-body": { browser: "./app/_components/ui/markdown-body.browser.tsx" },
      // Terminal output too (the failure page's errors): the ANSI parser loads only for new text.
      "@/app/_components/ui/ansi-body": { browser: "./app/_components/ui/ansi-body.browser.tsx" },
    },
  },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
