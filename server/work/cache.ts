import type { EventBus } from "../events/bus";
import { isWorkEvent } from "@/lib/schemas/event-scope";
import type { WorkItem } from "@/lib/schemas/work";

/**
 * All Work's merged lists per project, dropped when the bus says something they show changed.
 * One per runtime (`runtime.workCache`); it listens on the bus only once a list was cached.
 */
export class WorkCache {
  private readonly lists = new Map<string, { at: number; items: WorkItem[] }>();
  private off: (() => void) | null = null;

  constructor(private readonly bus: EventBus) {}

  get(key: string): { at: number; items: WorkItem[] } | undefined {
    return this.lists.get(key);
  }

  set(key: string, entry: { at: number; items: WorkItem[] }): void {
    this.off ??= this.bus.on((event) => {
      if (isWorkEvent(event)) this.lists.clear();
    });
    this.lists.set(key, entry);
  }

  /** Drops the cached lists (tests, benchmarks). */
  invalidate(): void {
    this.lists.clear();
  }

  close(): void {
    this.off?.();
    this.off = null;
    this.lists.clear();
  }
}
