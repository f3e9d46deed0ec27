import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { InputError } from '../../errors.js';

/** A position in a YAML file (1-based line and column). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** One problem found in an input file, located by its data path and its line. */
export interface InputProblem {
  /** Dotted data path, e.g. `entities.users.fields.email.type`. */
  path: string;
  message: string;
  position: SourcePosition;
}

/**
 * A parsed YAML (or JSON, which is YAML) input file that remembers where every value came from, so a schema
 * error can name both the data path and the line. The `yaml` package's document API keeps source ranges on
 * every node; a {@link LineCounter} turns offsets into line/column.
 */
export class YamlSource {
  readonly file: string;
  readonly data: unknown;
  readonly #doc: ReturnType<typeof parseDocument>;
  readonly #lines: LineCounter;

  private constructor(file: string, doc: ReturnType<typeof parseDocument>, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
    this.data = doc.toJS({ maxAliasCount: 100 });
  }

  /**
   * Parses `text`; YAML syntax errors (including duplicate keys) throw an {@link InputError} naming the file,
   * line and column, so the CLI exits 2 with the location.
   */
  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      const reason = first.message.split('\n')[0] ?? first.message;
      throw new InputError(`${file}:${pos.line}:${pos.col}: YAML syntax error: ${reason}`, {
        context: { file, line: pos.line, column: pos.col },
      });
    }
    return new YamlSource(file, doc, lines);
  }

  /**
   * The position of the value at `path`, or of the deepest ancestor that exists (a missing required key is
   * reported at the map that should hold it). With `key: true`, the position of the map key itself (for
   * unknown-key errors).
   */
  locate(path: readonly PropertyKey[], options: { key?: boolean } = {}): SourcePosition {
    let node: unknown = this.#doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      const child = childOf(node, segment);
      if (!child) break;
      offset = (options.key && segment === path[path.length - 1] ? child.keyStart : child.valueStart) ?? offset;
      node = child.value;
    }
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Builds an {@link InputProblem} for `path`. */
  problem(path: readonly PropertyKey[], message: string, options: { key?: boolean } = {}): InputProblem {
    return { path: formatPath(path), message, position: this.locate(path, options) };
  }
}

/** Formats a data path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Throws one {@link InputError} listing every problem as `file:line:col: path: message` (sorted by line), so
 * a user fixes them in one pass. The first problem's location is kept in the error's context.
 */
export function throwProblems(file: string, problems: readonly InputProblem[]): never {
  const sorted = [...problems].sort(
    (a, b) => a.position.line - b.position.line || a.position.column - b.position.column,
  );
  const lines = sorted.map((p) => `${file}:${p.position.line}:${p.position.column}: ${p.path}: ${p.message}`);
  const first = sorted[0];
  throw new InputError(lines.length === 1 ? lines[0]! : `${lines.length} problems in ${file}\n${lines.join('\n')}`, {
    context: { file, line: first?.position.line, column: first?.position.column, problems: sorted },
  });
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? range[0] : undefined;
}

function childOf(
  node: unknown,
  segment: PropertyKey,
): { value: unknown; valueStart: number | undefined; keyStart: number | undefined } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(segment)) {
        const keyStart = rangeStart(pair.key);
        return { value: pair.value, valueStart: rangeStart(pair.value) ?? keyStart, keyStart };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    if (item === undefined) return undefined;
    const start = rangeStart(item);
    return { value: item, valueStart: start, keyStart: start };
  }
  return undefined;
}
