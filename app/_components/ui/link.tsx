"use client";

import { useRouter } from "next/navigation";
import type { AnchorHTMLAttributes } from "react";

/**
 * An in-app link: a real <a> (middle- and modifier-clicks open tabs as usual) whose plain click
 * navigates on the client, without a reload. next/link does this and prefetches routes in view;
 * every route here is dynamic, so its prefetch fetched little, and the component cost ~4.5 KB
 * gzipped on every tab (issue 12).
 */
export default function Link({ href, onClick, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const router = useRouter();
  return (
    <a
      href={href}
      {...props}
      onClick={(e) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        if (props.target || props.download !== undefined) return;
        e.preventDefault();
        router.push(href);
      }}
    />
  );
}
