/** Priority and status words (issue 13 item 6): one vocabulary, every value of every domain covered. */
import { describe, expect, it } from "vitest";
import { priorityWord, statusWord, STATUS_WORDS } from "@/lib/format";
import { DecisionSchema, FailureStatusSchema, PatternSchema } from "@/lib/schemas/errors";
import { SessionStatusSchema } from "@/lib/schemas/sessions";
import { WorkStatusSchema } from "@/lib/schemas/work";
import { AgentStatusSchema } from "@/lib/schemas/agents";
import { ChangeGroupSchema } from "@/lib/schemas/openspec";

describe("priority words", () => {
  it("reads the 1–5 scale as words, 5 the most urgent", () => {
    expect([5, 4, 3, 2, 1].map(priorityWord)).toEqual(["Urgent", "High", "Medium", "Low", "Minimal"]);
    // Out-of-range values from old rows clamp instead of reading as undefined.
    expect([0, 7].map(priorityWord)).toEqual(["Minimal", "Urgent"]);
  });
});

describe("status words", () => {
  it("has a word for every status of every domain", () => {
    const all = [
      ...WorkStatusSchema.options,
      ...SessionStatusSchema.options,
      ...AgentStatusSchema.options,
      ...FailureStatusSchema.options,
      ...DecisionSchema.options,
      ...PatternSchema.options,
      ...ChangeGroupSchema.options,
    ];
    const missing = all.filter((s) => !(s in STATUS_WORDS));
    expect(missing).toEqual([]);
    // Capitalised words, no raw snake_case on a page.
    for (const s of all) expect(statusWord(s)).toMatch(/^[A-Z][a-z -]*[a-z]$/);
    expect(statusWord("needs_you")).toBe("Needs you");
    // An agent's health on the board (WorkItem.health) reads in the same words.
    expect(["active", "idle", "stuck", "failed"].map(statusWord)).toEqual(["Active", "Idle", "Stuck", "Failed"]);
    expect(statusWord("some_new_state")).toBe("some new state");
  });
});
