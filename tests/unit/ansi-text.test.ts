/**
 * Terminal output on the failure page (issue 12 replaced anser with parseAnsi): SGR codes become
 * styles on spans, other escape sequences vanish, and no escape byte is ever shown as text.
 */
import { describe, expect, it } from "vitest";
import { parseAnsi } from "@/app/_components/ui/ansi-render";

describe("parseAnsi", () => {
  it("colours Playwright's matcher output and resets at 39 and 0", () => {
    expect(parseAnsi('Expected: \u001b[32m"ok"\u001b[39m\nReceived: \u001b[31m"no"\u001b[39m\u001b[0m')).toEqual([
      { content: "Expected: ", style: null },
      { content: '"ok"', style: { color: "rgb(0, 187, 0)" } },
      { content: "\nReceived: ", style: null },
      { content: '"no"', style: { color: "rgb(187, 0, 0)" } },
    ]);
  });

  it("reads bold, dim, 256-colour and true-colour codes, bright colours and reverse video", () => {
    expect(parseAnsi("\u001b[1;38;5;208ma\u001b[22;2;48;2;10;20;30mb\u001b[0;97mc\u001b[0;7md")).toEqual([
      { content: "a", style: { color: "rgb(255, 135, 0)", fontWeight: 600 } },
      { content: "b", style: { color: "rgb(255, 135, 0)", backgroundColor: "rgb(10, 20, 30)", opacity: 0.6 } },
      { content: "c", style: { color: "rgb(255, 255, 255)" } },
      { content: "d", style: { backgroundColor: "rgb(228, 228, 231)", color: "rgb(9, 9, 11)" } },
    ]);
  });

  it("drops cursor and erase sequences and a cut-off escape", () => {
    const text = parseAnsi("\u001b[2Kline\u001b[1A done\u001b")
      .map((p) => p.content)
      .join("");
    expect(text).toBe("line done");
  });
});
