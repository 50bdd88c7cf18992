/**
 * SQLite text for the port's Drizzle templates, rendered without Drizzle's general walk (issue 12):
 * it checks every chunk against a dozen kinds, a tenth of the hook committer's time per event.
 * Apart from sql-store.ts only to keep files short.
 */
import { SQL, StringChunk } from "drizzle-orm";

/** A flat or nested template as SQLite text with `?` and its values; null: anything else (Drizzle renders it). */
export function renderSqliteQuery(query: SQL): { sql: string; params: unknown[] } | null {
  return flatSqliteQuery(query) ?? nestedSqliteQuery(query);
}

/**
 * A flat template (text and plain values, the shape of most port queries) rendered directly:
 * Drizzle's general walk checks every chunk against a dozen kinds, a tenth of the hook committer's
 * time per event (issue 12). Its text is kept per template (keyed by the template's first literal,
 * checked literal by literal), so a hot query's text is not rebuilt nor rehashed.
 * Anything else (nested SQL, lists, identifiers, dates) returns null and goes to Drizzle.
 */
function flatSqliteQuery(query: SQL): { sql: string; params: unknown[] } | null {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return null;
  const chunks = query.queryChunks;
  const literals: string[] = [];
  const params: unknown[] = [];
  // A template is text, value, text, …, text.
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (i % 2 === 0) {
      if (!(chunk instanceof StringChunk)) return null;
      literals.push(chunk.value.length === 1 ? chunk.value[0]! : chunk.value.join(""));
    } else if (chunk === null || (chunk !== undefined && typeof chunk !== "object" && typeof chunk !== "function")) params.push(chunk);
    else return null;
  }
  if (literals.length === 0 || literals.length !== params.length + 1) return null;
  let known = flatTexts.get(literals[0]!);
  if (!known || known.literals.length !== literals.length || known.literals.some((l, i) => l !== literals[i])) {
    if (flatTexts.size > 500) flatTexts.clear();
    flatTexts.set(literals[0]!, (known = { literals, sql: literals.join("?") }));
  }
  return { sql: known.sql, params };
}
const flatTexts = new Map<string, { literals: string[]; sql: string }>();

/**
 * A template of text, plain values, lists of values (`IN ${ids}`) and nested templates
 * (`sql.join` of rows), rendered as Drizzle renders it: a multi-row write per batch would
 * otherwise spend more in Drizzle's walk than it saves in statements. Null: anything else.
 */
function nestedSqliteQuery(query: SQL): { sql: string; params: unknown[] } | null {
  const out = { sql: "", params: [] as unknown[] };
  return appendNested(query, out) ? out : null;
}

function appendNested(query: SQL, out: { sql: string; params: unknown[] }): boolean {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return false;
  for (const chunk of query.queryChunks) {
    if (chunk instanceof StringChunk) out.sql += chunk.value.length === 1 ? chunk.value[0]! : chunk.value.join("");
    else if (isPlainValue(chunk)) {
      out.sql += "?";
      out.params.push(chunk);
    } else if (chunk instanceof SQL) {
      if (!appendNested(chunk, out)) return false;
    } else if (Array.isArray(chunk) && chunk.length > 0 && chunk.every(isPlainValue)) {
      out.sql += `(${"?, ".repeat(chunk.length - 1)}?)`;
      out.params.push(...(chunk as unknown[]));
    } else return false;
  }
  return true;
}

function isPlainValue(v: unknown): boolean {
  return v === null || (v !== undefined && typeof v !== "object" && typeof v !== "function");
}
