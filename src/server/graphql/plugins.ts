/**
 * The envelop plugins every GraphQL request goes through besides the limits and authorization:
 * the request id on every answer, typed outcomes and lost connections made into clear errors,
 * unexpected errors logged once with their request id, a span per operation.
 */
import type { IncomingMessage } from 'node:http';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { useErrorHandler, type Plugin } from 'graphql-yoga';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { isConnectionFailure } from '../../db/connectionErrors.js';
import type { GraphQLContext } from '../../graphql/builder.js';
import { InputError, QueueError } from '../../queue/errors.js';
import { tracer } from '../../tracing.js';
import { callers, fetchRequestIdOf } from './callers.js';

/** Told to a client whose write may have committed with its answer lost (the database connection failed meanwhile). */
export const outcomeUnknownMessage =
  'The database connection failed while this request was in flight: it may or may not have been applied. ' +
  'Retrying is safe: an enqueue whose job exists already answers DuplicateActiveJobError naming it, and retry, cancel and replay refuse a job that already moved.';

export function operationOf(args: ExecutionArgs): string | undefined {
  return getOperationAST(args.document, args.operationName)?.operation;
}

/** The request id on every answer (the HTTP server sets it first; in-process requests get theirs here). */
export const requestIdHeader: Plugin = {
  onResponse: ({ request, response }) => {
    if (!response.headers.has('x-request-id')) response.headers.set('x-request-id', fetchRequestIdOf(request));
  },
};

/** Yoga's own 500s (a request it could not handle at all), logged with their request id too. */
export function logServerErrors(logger: Logger): Plugin {
  return {
    onResponse: ({ request, response, serverContext }) => {
      if (response.status < 500) return;
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      logger.error({ requestId: (req && callers.get(req)?.requestId) ?? fetchRequestIdOf(request), status: response.status }, 'GraphQL request answered with a server error');
    },
  };
}

/** Unexpected errors, once each, structured, with the request id (envelop hands the execution arguments; our context is their contextValue). */
export function logUnexpected(logger: Logger): Plugin {
  return useErrorHandler(({ errors, context }) => {
    const requestId = (context as { contextValue?: Partial<GraphQLContext> }).contextValue?.requestId;
    for (const error of errors) {
      const original = error instanceof GraphQLError ? error.originalError : error;
      if (!original || original instanceof GraphQLError) continue; // a client mistake, not ours
      logger.error({ err: original, requestId, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected GraphQL error');
    }
  });
}

function mapError(error: GraphQLError, mutation: boolean, logger: Logger, requestId: string | undefined): GraphQLError {
  const original = error.originalError;
  if (original instanceof QueueError) {
    const field = original instanceof InputError && original.field ? { field: original.field } : {};
    return new GraphQLError(original.message, { path: error.path, extensions: { code: 'BAD_USER_INPUT', errorType: original.name, ...field } });
  }
  if (original && !(original instanceof GraphQLError) && isConnectionFailure(original)) {
    logger.warn({ err: { message: original.message, code: (original as { code?: unknown }).code }, requestId, mutation }, 'the database connection failed during a request');
    return new GraphQLError(mutation ? outcomeUnknownMessage : 'The database is not reachable right now; try again shortly.', {
      path: error.path,
      extensions: { code: mutation ? 'OUTCOME_UNKNOWN' : 'DATABASE_UNAVAILABLE', retrySafe: true },
    });
  }
  return error;
}

/**
 * Typed outcomes that reach a field outside a result union (a query's bad filter) are input
 * errors, not ours; a lost database connection is said to be one (and, for a write, that its
 * outcome is unknown and a retry safe). Everything else stays masked and logged as unexpected.
 */
export function mapServiceErrors(logger: Logger): Plugin {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!('errors' in result) || !Array.isArray(result.errors) || !result.errors.length) return;
        const mutation = operationOf(args) === 'mutation';
        const requestId = (args.contextValue as Partial<GraphQLContext>).requestId;
        const errors = (result as ExecutionResult).errors!.map((error) => mapError(error, mutation, logger, requestId));
        setResult({ ...result, errors } as ExecutionResult);
      },
    }),
  };
}

/** A span per GraphQL operation (a no-op unless tracing is on). */
export const traceOperations: Plugin = {
  onExecute: ({ args }) => {
    const definition = (args.document as DocumentNode).definitions.find((node): node is OperationDefinitionNode => node.kind === 'OperationDefinition');
    const type = definition?.operation ?? 'query';
    const span = tracer.startSpan(`graphql.${type}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'graphql.operation.type': type,
        'graphql.operation.name': definition?.name?.value ?? '',
        'syncbridge.request_id': (args.contextValue as Partial<GraphQLContext>).requestId ?? '',
      },
    });
    return {
      onExecuteDone: ({ result }) => {
        if ('errors' in result && Array.isArray(result.errors) && result.errors.length) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  },
};
