/**
 * A minimal, strict XML reader for JUnit reports.
 *
 * Written here because no XML parser is installed (node_modules has none, and the brief forbids
 * adding dependencies from this package). JUnit files are small, machine-written XML, so we
 * support exactly what they use: the XML declaration, comments, processing instructions, a
 * DOCTYPE without internal subset, elements, attributes (single or double quoted), text, CDATA
 * and the five predefined entities plus numeric character references. Anything malformed
 * (unclosed or mismatched tags, a bare `<`, unknown entities) throws `XmlError` with a
 * line/column, instead of guessing.
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

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (message: string, at = pos): never => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < text.length; i++) if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
    throw new XmlError(message, line, at - lineStart + 1);
  };

  const decode = (raw: string, at: number): string =>
    raw.includes("&")
      ? raw.replace(/&([^;\s&]*);?/g, (match, name: string) => {
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

  const addText = (value: string): void => {
    const current = stack.at(-1);
    if (current) current.text += value;
    else if (value.trim() !== "") fail("Text outside the root element");
  };

  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) fail("Expected a name");
    pos = NAME.lastIndex;
    return (m as RegExpExecArray)[0];
  };

  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };

  const skipPast = (terminator: string, what: string): void => {
    const end = text.indexOf(terminator, pos);
    if (end < 0) fail(`Unterminated ${what}`);
    pos = end + terminator.length;
  };

  while (pos < text.length) {
    const lt = text.indexOf("<", pos);
    if (lt < 0) {
      addText(decode(text.slice(pos), pos));
      break;
    }
    if (lt > pos) addText(decode(text.slice(pos, lt), pos));
    pos = lt;
    if (text.startsWith("<!--", pos)) skipPast("-->", "comment");
    else if (text.startsWith("<![CDATA[", pos)) {
      const end = text.indexOf("]]>", pos);
      if (end < 0) fail("Unterminated CDATA section");
      addText(text.slice(pos + 9, end));
      pos = end + 3;
    } else if (text.startsWith("<?", pos)) skipPast("?>", "processing instruction");
    else if (text.startsWith("<!DOCTYPE", pos)) {
      if (stack.length > 0 || root) fail("DOCTYPE after the root element");
      skipPast(">", "DOCTYPE");
    } else if (text.startsWith("</", pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== ">") fail(`Expected ">" to close </${name}`);
      pos++;
      const open = stack.pop();
      if (!open) fail(`Closing tag </${name}> without an opening tag`, lt);
      else if (open.name !== name) fail(`Closing tag </${name}> does not match <${open.name}>`, lt);
    } else {
      pos++;
      const element: XmlElement = { name: readName(), attributes: {}, children: [], text: "" };
      for (;;) {
        const before = pos;
        skipSpace();
        if (text.startsWith("/>", pos) || text[pos] === ">") break;
        if (pos === before) fail(`Expected whitespace or ">" in <${element.name}>`);
        if (pos >= text.length) fail(`Unterminated tag <${element.name}>`, lt);
        const attr = readName();
        skipSpace();
        if (text[pos] !== "=") fail(`Attribute "${attr}" has no value`);
        pos++;
        skipSpace();
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") fail(`Attribute "${attr}" value must be quoted`);
        const end = text.indexOf(quote as string, pos + 1);
        if (end < 0) fail(`Unterminated value of attribute "${attr}"`);
        const raw = text.slice(pos + 1, end);
        if (raw.includes("<")) fail(`"<" in the value of attribute "${attr}"`, pos);
        element.attributes[attr] = decode(raw, pos);
        pos = end + 1;
      }
      const selfClosing = text[pos] === "/";
      pos += selfClosing ? 2 : 1;
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else if (root) fail("More than one root element", lt);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length > 0) fail(`Unclosed element <${stack.at(-1)?.name}> at the end of the document`, text.length);
  if (!root) fail("No root element", 0);
  return root as XmlElement;
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
