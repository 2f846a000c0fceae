/** Status shown as text with a colour and a symbol, so it reads without colour too. */
const symbols: Record<string, string> = {
  PENDING: '◷',
  RUNNING: '▶',
  SUCCEEDED: '✓',
  FAILED: '✕',
  DEAD: '☠',
  CANCELED: '⊘',
};

export function StatusBadge({ status, phase }: { status: string; phase?: string }) {
  const label = phase && phase !== 'FINISHED' && phase !== status ? `${status} · ${phase.replace('_', ' ')}` : status;
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      <span aria-hidden="true">{symbols[status] ?? '•'}</span> {label}
    </span>
  );
}
