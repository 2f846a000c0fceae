/**
 * What an action came to, in words for the operator: the server's typed error as it worded it, a
 * sentence when the request itself failed (never a library's "[Network] …"), or the success text.
 */
import type { CombinedError } from 'urql';

export interface Outcome {
  kind: 'ok' | 'error';
  text: string;
}

/** An answer of a result union: its success type, or a typed error carrying `message`. */
export type Answer = { __typename: string; message?: string } | null | undefined;

export function requestProblem(error: CombinedError | undefined): string {
  if (error?.networkError) return 'The server did not answer, so it is not known whether this took effect. Check the connection, then look before trying again.';
  const first = error?.graphQLErrors[0];
  if (first) return `The server refused the request: ${first.message}`;
  return 'The request failed; try again.';
}

/** `successType`: the answer's typename when it worked (anything else is a refusal). */
export function outcomeOf(answer: Answer, error: CombinedError | undefined, successType: string, okText: string): Outcome {
  if (!answer) return { kind: 'error', text: requestProblem(error) };
  if (answer.__typename === successType) return { kind: 'ok', text: okText };
  // A refusal whose words were not selected still says what it was.
  return { kind: 'error', text: answer.message || `Refused: ${answer.__typename.replace(/([a-z])([A-Z])/g, '$1 $2')}.` };
}
