/**
 * Trusted documents: with SYNCBRIDGE_PERSISTED_ONLY, the server runs only the operations the
 * dashboard and the CLI ship. Each is known by the hash of its canonical form (parsed, definitions
 * in a fixed order, printed), so spacing and fragment order do not matter; the manifest of hashes
 * is written at build (scripts/trusted-documents.ts) next to the built dashboard.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, print, type DefinitionNode, type DocumentNode } from 'graphql';

export interface TrustedDocument {
  source: 'dashboard' | 'cli';
  name: string;
  hash: string;
}

const rank = (definition: DefinitionNode) => (definition.kind === Kind.OPERATION_DEFINITION ? 0 : 1);
const nameOf = (definition: DefinitionNode) => ('name' in definition && definition.name ? definition.name.value : '');

export function documentHash(document: DocumentNode): string {
  const definitions = [...document.definitions].sort((a, b) => rank(a) - rank(b) || nameOf(a).localeCompare(nameOf(b)));
  return createHash('sha256')
    .update(print({ ...document, definitions }))
    .digest('hex');
}

/** The hashes of a manifest file, or an error that says how to make one. */
export function loadTrustedHashes(path: string): Set<string> {
  let manifest: { documents?: TrustedDocument[] };
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as { documents?: TrustedDocument[] };
  } catch (error) {
    throw new Error(`SYNCBRIDGE_PERSISTED_ONLY needs the trusted-documents manifest ${path} (${(error as Error).message}); npm run build:client writes it.`);
  }
  return new Set((manifest.documents ?? []).map((document) => document.hash));
}
