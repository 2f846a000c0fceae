/** GraphQL operations by type and result, and query/mutation run time: a Yoga plugin. */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** The operation type is the only label (names are client-chosen). */
export function graphqlMetrics(registry: Registry): Plugin {
  const operations = new Counter({
    name: 'syncbridge_graphql_operations_total',
    help: 'GraphQL operations executed, by type and result.',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'syncbridge_graphql_operation_duration_seconds',
    help: 'GraphQL query and mutation execution time.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    onExecute: ({ args }) => {
      const definitions = (args.document as DocumentNode).definitions;
      const definition = definitions.find((node): node is OperationDefinitionNode => node.kind === 'OperationDefinition');
      const operation = definition?.operation ?? 'unknown';
      const started = performance.now();
      return {
        onExecuteDone: ({ result }) => {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ operation, result: failed ? 'error' : 'ok' });
          if (operation !== 'subscription') operationDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
