/**
 * Retry, cancel, replay or (admins) delete many jobs: the selected rows, or every job matching the view's filter.
 * Each action first asks the server for a dry run and shows its counts; only a confirmation
 * runs it. Affected rows then change live like any other.
 */
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../graphql';
import type { JobFilter } from '../filters';
import { ConfirmDialog } from './ConfirmDialog';
import { requestProblem } from '../outcome';

// The counts every bulk action answers with, dry run or not.
const BulkOutcome = graphql(`
  fragment BulkOutcome on BulkActionResult {
    matched
    affected
    skipped
    dryRun
    skippedBy {
      reason
      count
    }
  }
`);
const RetryJobs = graphql(
  `
    mutation BulkRetry($filter: JobFilter!, $dryRun: Boolean) {
      retryJobs(filter: $filter, dryRun: $dryRun) {
        __typename
        ...BulkOutcome
        ... on Error {
          message
        }
      }
    }
  `,
  [BulkOutcome],
);
const CancelJobs = graphql(
  `
    mutation BulkCancel($filter: JobFilter!, $dryRun: Boolean) {
      cancelJobs(filter: $filter, dryRun: $dryRun) {
        __typename
        ...BulkOutcome
        ... on Error {
          message
        }
      }
    }
  `,
  [BulkOutcome],
);
const ReplayJobs = graphql(
  `
    mutation BulkReplay($filter: JobFilter!, $dryRun: Boolean) {
      replayJobs(filter: $filter, dryRun: $dryRun) {
        __typename
        ...BulkOutcome
        ... on Error {
          message
        }
      }
    }
  `,
  [BulkOutcome],
);
const DeleteJobs = graphql(
  `
    mutation BulkDelete($filter: JobFilter!, $dryRun: Boolean) {
      deleteJobs(filter: $filter, dryRun: $dryRun) {
        __typename
        ...BulkOutcome
        ... on Error {
          message
        }
      }
    }
  `,
  [BulkOutcome],
);

type Action = 'retry' | 'cancel' | 'replay' | 'delete';
interface Counts {
  matched: number;
  affected: number;
  skipped: number;
  skippedBy: { reason: string; count: number }[];
}
type Outcome = { __typename: string; message?: string } & Partial<Counts>;

const verbs: Record<Action, { label: string; done: string; would: string }> = {
  retry: { label: 'Retry', done: 'retried', would: 'would be queued again' },
  cancel: { label: 'Cancel', done: 'canceled', would: 'would be canceled' },
  replay: { label: 'Replay', done: 'replayed by new jobs', would: 'would be replayed by new jobs' },
  delete: { label: 'Delete', done: 'deleted with their attempts', would: 'would be deleted with their attempts (active ones are skipped: cancel them first)' },
};

const skippedText = (counts: Counts) => (counts.skipped ? `; ${counts.skipped} skipped (${counts.skippedBy.map((row) => `${row.count} ${row.reason}`).join(', ')})` : '');

/** What an action did, for the page to show (the bar goes away with the selection it acted on). */
export interface BulkMessage {
  kind: 'ok' | 'error';
  text: string;
}

/** The confirm button: the count it will act on, in words ("Cancel 1 job"); none left, nothing to press. */
function confirmWords(action: Action, affected: number): string {
  if (affected === 0) return `Nothing to ${verbs[action].label.toLowerCase()}`;
  return `${verbs[action].label} ${affected} job${affected === 1 ? '' : 's'}`;
}

/** `canDelete`: an admin's bar also offers Delete… (the server refuses it to anyone else). */
export function BulkActions({ filter, description, canDelete, onDone }: { filter: JobFilter; description: string; canDelete?: boolean; onDone(message: BulkMessage): void }) {
  const [, retryJobs] = useMutation(RetryJobs);
  const [, cancelJobs] = useMutation(CancelJobs);
  const [, replayJobs] = useMutation(ReplayJobs);
  const [, deleteJobs] = useMutation(DeleteJobs);
  const [asking, setAsking] = useState<{ action: Action; preview?: Counts; problem?: string } | undefined>();
  const [running, setRunning] = useState(false);

  /** The answer, or the sentence saying why there is none. */
  const send = async (action: Action, dryRun: boolean): Promise<Outcome | { problem: string }> => {
    const variables = { filter, dryRun };
    const mutate = { retry: retryJobs, cancel: cancelJobs, replay: replayJobs, delete: deleteJobs }[action];
    const response = await mutate(variables);
    const data = response.data as Record<string, Outcome> | undefined;
    return data?.[`${action}Jobs`] ?? { problem: requestProblem(response.error) };
  };
  const problemOf = (outcome: Outcome | { problem: string }) => ('problem' in outcome ? outcome.problem : (outcome.message ?? `Refused: ${outcome.__typename}.`));

  const ask = async (action: Action) => {
    setAsking({ action });
    const outcome = await send(action, true);
    if ('__typename' in outcome && outcome.__typename === 'BulkActionResult') setAsking({ action, preview: outcome as Counts });
    else setAsking({ action, problem: problemOf(outcome) });
  };

  const confirm = async () => {
    if (!asking) return;
    setRunning(true);
    const outcome = await send(asking.action, false);
    setRunning(false);
    setAsking(undefined);
    if ('__typename' in outcome && outcome.__typename === 'BulkActionResult') {
      const counts = outcome as Counts;
      onDone({ kind: 'ok', text: `${counts.affected} of ${counts.matched} matching jobs ${verbs[asking.action].done}${skippedText(counts)}.` });
    } else onDone({ kind: 'error', text: problemOf(outcome) });
  };

  return (
    <div className="bulk" role="group" aria-label="Act on many jobs">
      <span className="bulk-target">{description}</span>
      {(['retry', 'cancel', 'replay', ...(canDelete ? (['delete'] as const) : [])] as const).map((action) => (
        <button key={action} type="button" className={action === 'cancel' || action === 'delete' ? 'danger' : undefined} onClick={() => void ask(action)}>
          {verbs[action].label}…
        </button>
      ))}
      {asking && (
        <ConfirmDialog
          title={`${verbs[asking.action].label} ${description}?`}
          confirmLabel={running ? 'Working…' : asking.preview ? confirmWords(asking.action, asking.preview.affected) : 'Checking…'}
          danger={asking.action === 'cancel' || asking.action === 'delete'}
          busy={running || !asking.preview || asking.preview.affected === 0}
          onConfirm={() => void confirm()}
          dismissLabel="Go back"
          onClose={() => !running && setAsking(undefined)}
        >
          {asking.problem ? (
            <p className="message error" role="alert">
              {asking.problem}
            </p>
          ) : asking.preview ? (
            <p data-testid="dry-run">
              Dry run: {asking.preview.affected} of {asking.preview.matched} matching jobs {verbs[asking.action].would}
              {skippedText(asking.preview)}. Nothing has changed yet.
            </p>
          ) : (
            <p>Counting what would change…</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
