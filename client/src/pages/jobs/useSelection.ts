import { useEffect, useState } from 'react';
import { hasConditions, type JobFilter } from '../../filters';
import type { Selection } from './JobsTable';

/**
 * Rows picked for a bulk action: by id, or every job the filter matches. Cleared when the filter
 * or page changes (`resetKey`), and after an action that went through.
 */
export function useSelection(rowIds: string[], filter: JobFilter, resetKey: string) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const clear = () => {
    setSelected(new Set());
    setAllMatching(false);
  };
  useEffect(clear, [resetKey]);
  const pageSelected = rowIds.length > 0 && rowIds.every((id) => selected.has(id));
  const selection: Selection = {
    selected,
    allMatching,
    pageSelected,
    toggle: (id) =>
      setSelected((current) => {
        const next = new Set(current);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    togglePage: () => {
      setAllMatching(false);
      setSelected(pageSelected ? new Set() : new Set(rowIds));
    },
  };
  /** What a bulk action applies to, or undefined when nothing is selected. */
  const bulkFilter: JobFilter | undefined = allMatching ? (hasConditions(filter) ? filter : undefined) : selected.size ? { ids: [...selected] } : undefined;
  return { selection, bulkFilter, selectAllMatching: () => setAllMatching(true), clear };
}
