import { ListSkeleton, PageHeaderSkeleton, Skeleton } from "@/app/_components/ui/ui";

export default function SpecsLoading() {
  return (
    <div>
      <PageHeaderSkeleton />
      <Skeleton className="mb-6 h-16 w-full" />
      <ListSkeleton rows={6} label="Loading specs" />
    </div>
  );
}
