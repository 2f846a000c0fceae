/**
 * Writes client/dist/trusted-documents.json: the hash of every operation the dashboard and the CLI
 * send, for SYNCBRIDGE_PERSISTED_ONLY. Run after the dashboard's build (npm run build:client).
 * Dashboard operations are read from its sources (each `graphql(...)` document with the fragments
 * it spreads) and formatted the way urql sends them (with __typename added); CLI operations are
 * taken from src/cli/documents.ts as they are sent.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatDocument } from '@urql/core';
import { Kind, parse, visit, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { documentHash, type TrustedDocument } from '../src/auth/trustedDocuments.js';
import { cliDocuments } from '../src/cli/documents.js';
import { clientDist } from '../src/server/static.js';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const fragments = new Map<string, FragmentDefinitionNode>();
const operations: OperationDefinitionNode[] = [];
for (const file of sourceFiles('client/src')) {
  for (const match of readFileSync(file, 'utf8').matchAll(/graphql\(\s*`([\s\S]*?)`/g)) {
    for (const definition of parse(match[1]!).definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
    }
  }
}

/** The operation with every fragment it spreads, directly or through other fragments. */
function withFragments(operation: OperationDefinitionNode): DocumentNode {
  const needed = new Map<string, FragmentDefinitionNode>();
  const collect = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (!fragment) throw new Error(`The dashboard spreads an unknown fragment ${spread.name.value}`);
        if (needed.has(fragment.name.value)) return;
        needed.set(fragment.name.value, fragment);
        collect(fragment);
      },
    });
  collect(operation);
  return { kind: Kind.DOCUMENT, definitions: [operation, ...needed.values()] };
}

const documents: TrustedDocument[] = [
  ...operations.map((operation) => ({ source: 'dashboard' as const, name: operation.name?.value ?? '(anonymous)', hash: documentHash(formatDocument(withFragments(operation))) })),
  ...Object.entries(cliDocuments).map(([name, text]) => ({ source: 'cli' as const, name, hash: documentHash(parse(text)) })),
];
mkdirSync(clientDist, { recursive: true });
writeFileSync(join(clientDist, 'trusted-documents.json'), JSON.stringify({ documents }, null, 2) + '\n');
console.log(`trusted documents: ${documents.length} (${operations.length} dashboard, ${Object.keys(cliDocuments).length} CLI) → client/dist/trusted-documents.json`);
