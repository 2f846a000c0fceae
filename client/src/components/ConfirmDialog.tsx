/** A modal question (the browser's own <dialog>: focus kept inside, Escape cancels). */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  dismissLabel = 'Go back',
  danger,
  busy,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** The way out, never "Cancel": that word is also an action on jobs. */
  dismissLabel?: string;
  danger?: boolean;
  /** Confirm is disabled meanwhile (a dry run loading, the action running). */
  busy?: boolean;
  onConfirm(): void;
  onClose(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId}>{title}</h2>
      <div className="confirm-body">{children}</div>
      <div className="confirm-buttons">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>
          {dismissLabel}
        </button>
        <button type="button" className={danger ? 'danger' : undefined} disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
