/** Fair share between groups: the order a fair claim visits a type's groups in. Pure. */

/**
 * A fair claim's passes: one job of each group from after the last group served to the end of the
 * groups, then one of each from the start (the turn wraps), and only then, with room to spare
 * (fewer groups than jobs wanted), more of each from the start, the first of each group before
 * the second of any.
 */
export function fairPasses(after: string, limit: number): [from: string, perGroup: number][] {
  return [...(after ? ([[after, 1]] as [string, number][]) : []), ['', 1], ['', limit]];
}
