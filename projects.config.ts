import { defineConfig } from "./lib/config";

/**
 * Workdeck configuration. Every field is optional: with no projects and no
 * scan folders, the bundled demo workspace (examples/demo-workspace) is shown.
 *
 * export default defineConfig({
 *   scan: ["~/dev"],                 // every child folder with an openspec/ is a project
 *   rescanMinutes: 5,
 *   projects: [{ slug: "billing-api", name: "Billing API", path: "~/dev/billing-api" }],
 * });
 */
export default defineConfig({});
