// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/parsers/code-fence.js

interface FenceMarker {
  marker: string;
  length: number;
}

function getFenceMarker(line: string): FenceMarker | null {
  const fenceMatch = line.match(/^\s*(`{3,}|~{3,})/);
  if (!fenceMatch) return null;
  return { marker: fenceMatch[1][0], length: fenceMatch[1].length };
}

function isClosingFence(line: string, activeFence: FenceMarker): boolean {
  const fenceMatch = line.match(/^\s*(`{3,}|~{3,})\s*$/);
  return Boolean(
    fenceMatch && fenceMatch[1][0] === activeFence.marker && fenceMatch[1].length >= activeFence.length,
  );
}

/**
 * Per-line mask where `true` marks a line inside a fenced code block, fence lines included.
 * Any indentation opens a fence (looser than CommonMark) — the official parsers all share this rule.
 */
export function buildCodeFenceMask(lines: readonly string[]): boolean[] {
  const mask: boolean[] = new Array<boolean>(lines.length).fill(false);
  let activeFence: FenceMarker | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (!activeFence) {
      const fence = getFenceMarker(lines[i]);
      if (fence) {
        activeFence = fence;
        mask[i] = true;
      }
      continue;
    }
    mask[i] = true;
    if (isClosingFence(lines[i], activeFence)) activeFence = null;
  }
  return mask;
}
