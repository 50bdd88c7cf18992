import { ListSkeleton, PageHeaderSkeleton, Skeleton } from "@/app/_components/ui/ui";

export default function ErrorsLoading() {
  return (
    <div>
      <PageHeaderSkeleton />
      <Skeleton className="mb-4 h-14 w-full" />
      <Skeleton className="mb-4 h-16 w-full" />
      <ListSkeleton rows={8} label="Loading failures" />
    </div>
  );
}
