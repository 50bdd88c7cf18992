import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/** Liveness plus what was discovered; used by tests and by process supervisors. */
export async function GET(): Promise<Response> {
  const runtime = await getRuntime();
  return Response.json({ ok: true, projects: runtime.projects.all().length });
}
