import { ListSkeleton, Skeleton } from "@/app/_components/ui";

export default function SpecsLoading() {
  return (
    <div>
      <div className="mb-6 space-y-2">
        <Skeleton className="h-3 w-40" />
        <Skeleton className="h-6 w-32" />
      </div>
      <Skeleton className="mb-6 h-16 w-full" />
      <ListSkeleton rows={6} label="Loading specs" />
    </div>
  );
}
