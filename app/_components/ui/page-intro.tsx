import type { ReactNode } from "react";

/** The title and one explaining paragraph that open a settings-style page (Settings, Automations, Deploys). */
export function PageIntro({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div>
      <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
      <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">{children}</p>
    </div>
  );
}
