import { ListSkeleton, Skeleton } from "@/app/_components/ui";

export default function ErrorsLoading() {
  return (
    <div>
      <div className="mb-6 space-y-2">
        <Skeleton className="h-3 w-40" />
        <Skeleton className="h-6 w-32" />
      </div>
      <Skeleton className="mb-4 h-14 w-full" />
      <Skeleton className="mb-4 h-16 w-full" />
      <ListSkeleton rows={8} label="Loading failures" />
    </div>
  );
}
