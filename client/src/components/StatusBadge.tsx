/**
 * Status shown as text with a colour and a symbol, so it reads without colour too; the phase on
 * its own line when the cell is narrow, and a paused type said next to it.
 */
const symbols: Record<string, string> = {
  PENDING: '◷',
  RUNNING: '▶',
  SUCCEEDED: '✓',
  FAILED: '✕',
  DEAD: '☠',
  CANCELED: '⊘',
};

export function StatusBadge({ status, phase, paused }: { status: string; phase?: string; paused?: boolean }) {
  const detail = phase && phase !== 'FINISHED' && phase !== status ? phase.replace('_', ' ') : undefined;
  return (
    <span className="badges">
      <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
        <span aria-hidden="true">{symbols[status] ?? '•'}</span>
        <span>
          {status}
          {detail && <span className="phase"> · {detail}</span>}
        </span>
      </span>
      {paused && status === 'PENDING' && (
        <span className="badge badge-paused" data-paused="true" title="Its job type is paused: it waits until the type is resumed.">
          <span aria-hidden="true">‖</span> TYPE PAUSED
        </span>
      )}
    </span>
  );
}
