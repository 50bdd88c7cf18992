import { describe, expect, it } from "vitest";
import { transformer } from "@/lib/trpc/transformer";

const roundTrip = <T>(v: T): T => transformer.deserialize<T>(JSON.parse(JSON.stringify(transformer.serialize(v))));

describe("tRPC transformer", () => {
  it("round-trips dates anywhere in the tree and leaves ISO strings as strings", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const value = { at, list: [{ at, lastModified: "2025-01-01T00:00:00.000Z" }], nested: { deep: [at, null, 1, "x", true] } };
    const back = roundTrip(value);
    expect(back.at).toBeInstanceOf(Date);
    expect(back.at.getTime()).toBe(at.getTime());
    expect(back.list[0]!.at).toBeInstanceOf(Date);
    expect(back.list[0]!.lastModified).toBe("2025-01-01T00:00:00.000Z");
    expect(back.nested.deep).toEqual([at, null, 1, "x", true]);
  });

  it("drops undefined properties like JSON and keeps plain values", () => {
    expect(roundTrip({ a: undefined, b: 0, c: "", d: [] })).toEqual({ b: 0, c: "", d: [] });
    expect(roundTrip(null)).toBeNull();
    expect(roundTrip(42)).toBe(42);
  });
});
