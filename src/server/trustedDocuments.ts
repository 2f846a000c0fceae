/**
 * SYNCBRIDGE_PERSISTED_ONLY: any other document is refused at validation, over HTTP, WebSocket and
 * SSE alike (they all validate through the same envelop). A verdict is kept per parsed document,
 * which Yoga caches per query text, so a trusted operation costs one hash once.
 */
import { GraphQLError, getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { documentHash } from '../auth/trustedDocuments.js';

export function trustedDocumentsOnly(trusted: ReadonlySet<string>, logger: Logger): Plugin {
  const verdicts = new WeakMap<DocumentNode, boolean>();
  return {
    onValidate({ params, setResult }) {
      const document = params.documentAST;
      let allowed = verdicts.get(document);
      if (allowed === undefined) verdicts.set(document, (allowed = trusted.has(documentHash(document))));
      if (!allowed) {
        logger.warn({ operationName: getOperationAST(document)?.name?.value ?? null }, 'refused an operation that is not a trusted document');
        setResult([
          new GraphQLError("This server runs only the dashboard's and the CLI's operations (SYNCBRIDGE_PERSISTED_ONLY); this document is not one of them.", {
            extensions: { code: 'PERSISTED_QUERY_ONLY' },
          }),
        ]);
      }
    },
  };
}
