/**
 * Both engines return the same JavaScript shapes: int8 and numeric become numbers (catalog sizes, counters and
 * ages fit in 2^53), so analyzers never branch on the engine.
 */

/** OIDs of the types whose parsing differs between drivers. */
export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

/** Parses a bigint or numeric text value into a number (null stays null). */
export function parseNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}
