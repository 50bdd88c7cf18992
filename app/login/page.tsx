import type { Metadata } from "next";

export const metadata: Metadata = { title: "Sign in" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** A plain HTML form: it must work before any JavaScript (and before the token cookie) exists. */
export default async function LoginPage({ searchParams }: Props) {
  const params = await searchParams;
  const error = params.error === "1";
  const signedOut = params.signedOut === "1";
  const next = typeof params.next === "string" && params.next.startsWith("/") ? params.next : "/";
  return (
    <main className="flex min-h-screen items-center justify-center bg-zinc-50 px-4 dark:bg-zinc-950">
      <form
        method="post"
        action="/api/login"
        className="w-full max-w-sm space-y-4 rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      >
        <div>
          <h1 className="text-base font-semibold">Sign in to Workdeck</h1>
          <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
            This server requires the token set in <code className="font-mono">WORKDECK_TOKEN</code>.
          </p>
        </div>
        {signedOut && !error ? (
          <p
            role="status"
            className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-700 dark:border-zinc-800 dark:bg-zinc-950 dark:text-zinc-300"
          >
            You are signed out. Your login session on this server has ended.
          </p>
        ) : null}
        {error ? (
          <p
            role="alert"
            className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700 dark:border-red-900 dark:bg-red-950 dark:text-red-300"
          >
            That token is not valid. Check it and try again.
          </p>
        ) : null}
        <input type="hidden" name="next" value={next} />
        <div className="space-y-1">
          <label htmlFor="token" className="block text-sm font-medium">
            Token
          </label>
          <input
            id="token"
            name="token"
            type="password"
            required
            autoComplete="current-password"
            autoFocus
            aria-invalid={error || undefined}
            className="block w-full rounded-md border border-zinc-300 bg-white px-3 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950"
          />
        </div>
        <button
          type="submit"
          className="w-full rounded-md bg-zinc-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
        >
          Sign in
        </button>
      </form>
    </main>
  );
}
