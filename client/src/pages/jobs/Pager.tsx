/** Newer and older pages of the connection, by cursor, in the URL. */
import { withParams } from '../../filters';
import { navigate } from '../../router';

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

export function Pager({ params, pageInfo, page }: { params: URLSearchParams; pageInfo: PageInfo | undefined; page: number }) {
  const after = params.get('after');
  const before = params.get('before');
  return (
    <nav className="pager" aria-label="Pages of jobs">
      <button
        type="button"
        disabled={!pageInfo?.hasPreviousPage && !after}
        onClick={() => navigate(withParams(params, { before: pageInfo?.startCursor ?? undefined, after: undefined, page: page > 2 ? String(page - 1) : undefined }))}
      >
        ← Newer
      </button>
      <button
        type="button"
        disabled={!pageInfo?.hasNextPage && !before}
        onClick={() => navigate(withParams(params, { after: pageInfo?.endCursor ?? undefined, before: undefined, page: String(page + 1) }))}
      >
        Older →
      </button>
      <span className="muted keys">
        <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open
      </span>
    </nav>
  );
}
