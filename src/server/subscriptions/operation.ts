/**
 * An operation arriving over a live transport (a graphql-ws `subscribe`, an SSE request), made
 * ready the way Yoga makes HTTP requests ready: parsed and validated through the same envelop
 * plugins (token, alias, directive, fragment limits), its cost checked with its variables, and its
 * context built by the same factory. Errors come back as values for the transport to send.
 */
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs, type OperationTypeNode } from 'graphql';
import type { GraphQLLimits } from '../../config/index.js';
import { checkOperationCost, markChecked } from '../operationLimits.js';
import type { Principal } from '../../auth/principal.js';
import { ForbiddenError, UnauthorizedError } from '../../auth/errors.js';
import { roleAtLeast } from '../../auth/tokens.js';

/** Why this caller may not subscribe (subscriptions need the viewer role), or undefined. */
export function subscriptionRefusal(principal: Principal): GraphQLError | undefined {
  if (roleAtLeast(principal.role, 'viewer')) return undefined;
  return principal.role === undefined ? new UnauthorizedError() : new ForbiddenError('viewer', principal.role);
}

export type { Yoga } from '../graphql/yoga.js';
import type { Yoga } from '../graphql/yoga.js';
type Enveloped = ReturnType<Yoga['getEnveloped']>;

export interface OperationParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

export interface PreparedOperation {
  args: ExecutionArgs;
  operation: OperationTypeNode;
  enveloped: Enveloped;
}

export function isOperationParams(value: unknown): value is OperationParams {
  const params = value as OperationParams | null;
  return (
    typeof params === 'object' &&
    params !== null &&
    typeof params.query === 'string' &&
    (params.variables === undefined || params.variables === null || (typeof params.variables === 'object' && !Array.isArray(params.variables))) &&
    (params.operationName === undefined || params.operationName === null || typeof params.operationName === 'string')
  );
}

export async function prepareOperation(
  yoga: Yoga,
  params: OperationParams,
  initialContext: Record<string, unknown>,
  limits: GraphQLLimits,
): Promise<PreparedOperation | readonly GraphQLError[]> {
  const enveloped = yoga.getEnveloped({ ...initialContext, params });
  let document: DocumentNode;
  try {
    document = enveloped.parse(params.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [error]; // e.g. the token limit: an error message, not a dropped connection
    throw error;
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length) return errors;
  const operation = getOperationAST(document, params.operationName ?? undefined);
  if (!operation) return [new GraphQLError(params.operationName ? `Unknown operation named "${params.operationName}".` : 'Could not determine which operation to run.')];
  const args: ExecutionArgs = {
    schema: enveloped.schema,
    document,
    operationName: params.operationName ?? undefined,
    variableValues: params.variables ?? undefined,
    contextValue: await enveloped.contextFactory(),
    rootValue: undefined,
  };
  const costErrors = checkOperationCost(args, limits);
  if (costErrors.length) return costErrors;
  markChecked(args);
  return { args, operation: operation.operation, enveloped };
}
