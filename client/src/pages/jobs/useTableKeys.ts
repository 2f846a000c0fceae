import { useEffect, useState } from 'react';

/** Keys for moving through the table without a mouse (not while typing in a field). */
export function useTableKeys(rowCount: number, searchRef: React.RefObject<HTMLInputElement | null>, tableRef: React.RefObject<HTMLTableElement | null>) {
  const [current, setCurrent] = useState(-1);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.metaKey || event.ctrlKey || event.altKey || target.closest('input, select, textarea, dialog')) return;
      if (event.key === '/') {
        event.preventDefault();
        searchRef.current?.focus();
      } else if (event.key === 'j' || event.key === 'k') {
        event.preventDefault();
        setCurrent((index) => {
          const next = Math.max(0, Math.min(rowCount - 1, index + (event.key === 'j' ? 1 : -1)));
          tableRef.current?.querySelectorAll<HTMLAnchorElement>('tbody tr a.row-link')[next]?.focus();
          return next;
        });
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [rowCount, searchRef, tableRef]);
  return current;
}
