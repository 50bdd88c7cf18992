/** Tabs whose feature does not exist yet say so, rather than showing made-up data. */
export function NotBuilt({ title, message }: { title: string; message: string }) {
  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
      <div className="rounded-lg border border-dashed border-zinc-300 px-6 py-12 text-center dark:border-zinc-700">
        <p className="text-sm font-medium">{message}</p>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">Nothing here is simulated: this tab fills in when the feature ships.</p>
      </div>
    </div>
  );
}
