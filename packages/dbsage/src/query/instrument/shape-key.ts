/**
 * A cheap statement-shape key for the hot path: literals and numbers become `?`, whitespace collapses, IN lists
 * fold. It is cached per query text (parameterised queries have one text per shape, so after the first call it
 * is a Map lookup); the exact libpg-query fingerprint is computed only for statements that end up in a report.
 */
export class ShapeKeyCache {
  readonly #cache = new Map<string, string>();
  readonly #max: number;
  /** The last text and its key: a repeated statement is usually the same string object, compared by reference. */
  #lastText = '';
  #lastKey = '';

  /** `maxEntries` bounds memory when an application inlines literals (every text is new). Default 5 000. */
  constructor(maxEntries = 5000) {
    this.#max = maxEntries;
  }

  /** The shape key of a query text. */
  key(text: string): string {
    if (text === this.#lastText) return this.#lastKey;
    let k = this.#cache.get(text);
    if (k === undefined) {
      k = shapeKey(text);
      if (this.#cache.size >= this.#max) this.#cache.clear();
      this.#cache.set(text, k);
    }
    this.#lastText = text;
    this.#lastKey = k;
    return k;
  }
}

/** Normalises one text (uncached). */
export function shapeKey(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$])-?\d+(?:\.\d+)?(?![\w])/g, '?')
    .replace(/\s+/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(?)')
    .trim();
}
