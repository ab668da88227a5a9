/**
 * A small XML reader for tool reports (csynth.xml): elements, attributes, text, comments, CDATA,
 * processing instructions and the five predefined entities plus numeric references. No DTDs, no
 * namespaces: report files need neither. Errors say where (line) and what.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string; // concatenated character data directly inside this element
  line: number;
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string, line: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`line ${line}: unknown entity &${e};`);
    return v;
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

export function parseXml(text: string): XmlElement {
  let pos = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const advance = (to: number) => {
    for (let i = pos; i < to; i++) if (text.charCodeAt(i) === 10) line++;
    pos = to;
  };
  const expectEnd = (marker: string, what: string) => {
    const end = text.indexOf(marker, pos);
    if (end < 0) throw new XmlError(`line ${line}: unterminated ${what}`);
    return end;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = lt < 0 ? text.slice(pos) : text.slice(pos, lt);
    if (chunk.trim()) {
      if (!stack.length) throw new XmlError(`line ${line}: text outside the root element`);
      stack[stack.length - 1].text += decode(chunk, line);
    }
    advance(lt < 0 ? text.length : lt);
    if (lt < 0) break;

    if (text.startsWith('<!--', pos)) {
      advance(expectEnd('-->', 'comment') + 3);
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = expectEnd(']]>', 'CDATA section');
      if (!stack.length) throw new XmlError(`line ${line}: CDATA outside the root element`);
      stack[stack.length - 1].text += text.slice(pos + 9, end);
      advance(end + 3);
    } else if (text.startsWith('<?', pos)) {
      advance(expectEnd('?>', 'processing instruction') + 2);
    } else if (text.startsWith('<!', pos)) {
      advance(expectEnd('>', 'declaration') + 1);
    } else if (text.startsWith('</', pos)) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(text);
      if (!m) throw new XmlError(`line ${line}: malformed end tag`);
      const open = stack.pop();
      if (!open) throw new XmlError(`line ${line}: end tag </${m[0]}> without a start tag`);
      if (open.name !== m[0])
        throw new XmlError(
          `line ${line}: end tag </${m[0]}> does not match <${open.name}> (line ${open.line})`,
        );
      const close = text.indexOf('>', NAME.lastIndex);
      if (close < 0 || text.slice(NAME.lastIndex, close).trim())
        throw new XmlError(`line ${line}: malformed end tag </${m[0]}>`);
      advance(close + 1);
    } else {
      NAME.lastIndex = pos + 1;
      const m = NAME.exec(text);
      if (!m) throw new XmlError(`line ${line}: malformed tag`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '', line };
      let p = NAME.lastIndex;
      const attr = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
      for (;;) {
        attr.lastIndex = p;
        const a = attr.exec(text);
        if (!a) break;
        el.attrs[a[1]] = decode(a[3] ?? a[4], line);
        p = attr.lastIndex;
      }
      const rest = /\s*(\/?)>/y;
      rest.lastIndex = p;
      const r = rest.exec(text);
      if (!r) throw new XmlError(`line ${line}: malformed start tag <${el.name}>`);
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new XmlError(`line ${line}: a second root element <${el.name}>`);
      else root = el;
      if (!r[1]) stack.push(el);
      advance(rest.lastIndex);
    }
  }
  if (stack.length)
    throw new XmlError(
      `line ${line}: <${stack[stack.length - 1].name}> (line ${stack[stack.length - 1].line}) is never closed`,
    );
  if (!root) throw new XmlError('no root element');
  return root;
}

/** The first element at a slash-separated path of child names below `el` (e.g. "AreaEstimates/Resources/DSP"). */
export function child(el: XmlElement, path: string): XmlElement | undefined {
  let cur: XmlElement | undefined = el;
  for (const name of path.split('/')) {
    cur = cur.children.find((c) => c.name === name);
    if (!cur) return undefined;
  }
  return cur;
}
