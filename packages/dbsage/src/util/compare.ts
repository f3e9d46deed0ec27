/**
 * Compares two strings by UTF-16 code units: the same order on every machine and in every locale (unlike
 * `localeCompare`, whose order follows the ICU collation of the runtime's locale), and without loading ICU's
 * collator, which costs about 15 ms at the first call of a short-lived CLI process.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
