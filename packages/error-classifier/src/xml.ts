import { XMLParser, XMLValidator } from "fast-xml-parser";

/**
 * A strict XML reader for JUnit reports, on fast-xml-parser: its validator finds malformed XML
 * (with a line and column), its parser builds the tree. What JUnit readers rely on and the
 * library leaves open is checked here: one root element, and entities (only the five predefined
 * ones and character references; `&nbsp;` is an error, not text). Anything malformed throws
 * `XmlError` with a line/column, instead of guessing.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside this element, entities decoded. */
  text: string;
}

export class XmlError extends Error {
  override readonly name = "XmlError";
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
  }
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const CDATA = "#cdata";
const TEXT = "#text";
const ATTRIBUTES = ":@";

// Entities are decoded here (processEntities off): the library keeps unknown ones as text and
// does not decode character references.
const MAX_DEPTH = 256;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // JUnit nests four or five levels; the cap keeps a hostile document from recursing without end.
  maxNestedTags: MAX_DEPTH,
});

type OrderedNode = Record<string, unknown> & { [ATTRIBUTES]?: Record<string, string> };

export function parseXml(source: string): XmlElement {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const position = (at: number): [number, number] => {
    const before = text.slice(0, Math.max(0, at));
    const line = before.split("\n").length;
    return [line, at - before.lastIndexOf("\n")];
  };
  const fail = (message: string, at: number): never => {
    throw new XmlError(message, ...position(at));
  };
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) throw new XmlError(validatorMessage(valid.err.msg, text), valid.err.line, valid.err.col);

  const decode = (raw: string): string =>
    raw.includes("&")
      ? raw.replace(/&([^;\s&]*);?/g, (match, name: string) => {
          const at = text.indexOf(match);
          if (!match.endsWith(";")) fail(`Unterminated entity "${match}"`, at);
          if (name.startsWith("#x") || name.startsWith("#X")) return codePoint(Number.parseInt(name.slice(2), 16), at);
          if (name.startsWith("#")) return codePoint(Number.parseInt(name.slice(1), 10), at);
          const value = ENTITIES[name];
          if (value === undefined) fail(`Unknown entity "&${name};"`, at);
          return value as string;
        })
      : raw;
  const codePoint = (n: number, at: number): string => {
    if (!Number.isInteger(n) || n < 0 || n > 0x10ffff) fail("Invalid character reference", at);
    return String.fromCodePoint(n);
  };

  const toElement = (node: OrderedNode): XmlElement => {
    const name = Object.keys(node).find((k) => k !== ATTRIBUTES)!;
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(node[ATTRIBUTES] ?? {})) attributes[key] = decode(value);
    const element: XmlElement = { name, attributes, children: [], text: "" };
    for (const child of node[name] as OrderedNode[]) {
      if (TEXT in child) element.text += decode(String(child[TEXT]));
      else if (CDATA in child) element.text += (child[CDATA] as OrderedNode[]).map((t) => String(t[TEXT] ?? "")).join("");
      else element.children.push(toElement(child));
    }
    return element;
  };

  let parsed: OrderedNode[];
  try {
    parsed = parser.parse(text) as OrderedNode[];
  } catch (error) {
    // The library throws plain Errors (depth cap and the like); callers expect an XmlError they can answer 4xx with.
    fail(error instanceof Error && /nested/i.test(error.message) ? `Elements nested more than ${MAX_DEPTH} deep` : "Malformed XML", 0);
    throw error;
  }
  const top = parsed.filter((n) => !(TEXT in n && String(n[TEXT]).trim() === ""));
  const elements = top.filter((n) => !(TEXT in n) && !(CDATA in n));
  if (top.some((n) => TEXT in n)) fail("Text outside the root element", 0);
  if (elements.length > 1) fail("More than one root element", text.indexOf("<", text.indexOf(">") + 1));
  if (elements.length === 0) fail("No root element", 0);
  return toElement(elements[0]!);
}

/** The validator's words, in the terms this package's callers (and their tests) use. */
function validatorMessage(msg: string, text: string): string {
  const closing = /^Expected closing tag '([^']+)' .* instead of closing tag '([^']+)'/.exec(msg);
  if (closing) return `Closing tag </${closing[2]}> does not match <${closing[1]}>`;
  const unclosed = /^Unclosed tag '([^']+)'/.exec(msg);
  if (unclosed) return `Unclosed element <${unclosed[1]}> at the end of the document`;
  const noValue = /^Attribute '([^']+)' is without value/.exec(msg);
  if (noValue)
    return new RegExp(`\\s${noValue[1]}\\s*=`).test(text)
      ? `Attribute "${noValue[1]}" value must be quoted`
      : `Attribute "${noValue[1]}" has no value`;
  if (/^char '.' is not expected/.test(msg) && !text.trimStart().startsWith("<")) return "Text outside the root element";
  return msg;
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
