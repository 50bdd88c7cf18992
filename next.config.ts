import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and Node-only packages stay outside the bundle.
  serverExternalPackages: ["better-sqlite3", "chokidar", "proper-lockfile", "pino", "tsx"],
  experimental: {
    // `next build` sizes its worker pool from the host's CPUs; keep it small
    // so a build on a 2-core machine does not starve everything else.
    cpus: 1,
  },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
