"use client";

import { Graph, layout } from "@dagrejs/dagre";
import { Background, Controls, MarkerType, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useRouter } from "next/navigation";
import { useMemo } from "react";
import type { BlockerState } from "@/lib/schemas/dependencies";
import type { WorkItem } from "@/lib/schemas/work";
import { EmptyState } from "../ui/ui";

/**
 * `/board?view=graph` (issue 17): the dependency graph, blockers on the left of what waits for
 * them, laid out by dagre and drawn by React Flow. Only items that take part in a dependency are
 * drawn; a blocker outside the list (archived, gone, filtered out) is drawn from its label.
 * Live because it reads the same work.listAll query the live stream invalidates.
 */
const NODE_W = 240;
const NODE_H = 56;

const EDGE_COLOR: Record<BlockerState, string> = { open: "#d97706", resolved: "#059669", dropped: "#71717a", broken: "#dc2626" };

export function layoutGraph(items: WorkItem[]): { nodes: Node[]; edges: Edge[] } {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const labels = new Map<string, string>();
  const edges: Edge[] = [];
  for (const item of items) {
    for (const b of item.blockedBy) {
      // Inherited blockers (a session waiting on its work item's) are already drawn on the work item.
      if (b.via) continue;
      labels.set(b.key, byKey.get(b.key)?.title ?? b.label);
      labels.set(item.key, item.title);
      edges.push({
        id: `${b.key}->${item.key}`,
        source: b.key,
        target: item.key,
        label: b.state === "open" ? undefined : b.state,
        animated: b.state === "open",
        style: { stroke: EDGE_COLOR[b.state], strokeDasharray: b.state === "broken" ? "4 3" : undefined },
        markerEnd: { type: MarkerType.ArrowClosed, color: EDGE_COLOR[b.state] },
      });
    }
  }
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 80 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const key of labels.keys()) g.setNode(key, { width: NODE_W, height: NODE_H });
  for (const e of edges) g.setEdge(e.source, e.target);
  layout(g);
  const nodes: Node[] = [...labels].map(([key, text]) => {
    const p = g.node(key);
    const item = byKey.get(key);
    return {
      id: key,
      position: { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 },
      data: { label: `${text}${item ? ` · ${item.detail}` : ""}` },
      ariaLabel: text,
      style: { width: NODE_W, fontSize: 11, borderColor: item ? undefined : "#dc2626" },
      connectable: false,
      draggable: false,
    };
  });
  return { nodes, edges };
}

export default function BoardGraph({ items }: { items: WorkItem[] }) {
  const router = useRouter();
  const graph = useMemo(() => layoutGraph(items), [items]);
  const byKey = useMemo(() => new Map(items.map((i) => [i.key, i])), [items]);
  if (!graph.edges.length)
    return (
      <EmptyState title="No dependencies yet">
        Dependencies are added with work.addDependency (or an agent's add_dependency); what waits for what shows here.
      </EmptyState>
    );
  return (
    <section
      aria-label="Dependency graph"
      data-testid="board-graph"
      className="h-[70vh] rounded-lg border border-zinc-200 dark:border-zinc-800"
    >
      <ReactFlow
        nodes={graph.nodes}
        edges={graph.edges}
        fitView
        nodesConnectable={false}
        onNodeClick={(_, node) => {
          const href = byKey.get(node.id)?.href;
          if (href) router.push(href);
        }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  );
}
