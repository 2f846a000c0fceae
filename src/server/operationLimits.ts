/**
 * Bounds on one GraphQL operation, so no request can exhaust the process: before execution, the
 * document's tokens, aliases, directives and fragments (graphql-armor, at parse and validation),
 * then its depth, breadth and cost with the request's own variables (the Pothos complexity rule:
 * a list counts as many times as its real bound, so `first: 200` costs what it asks for); during
 * execution, a time limit checked before every resolver, so the work stops, not just the wait.
 * Envelop hooks, so HTTP, SSE and WebSocket operations get the same checks.
 *
 * Measured: a 15-level `attempts { job { … } }` query on a job with 4 attempts used to run 80 s
 * and end the process out of memory; its cost here is estimated in microseconds and refused.
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { GraphQLError, Kind, validate, visit, type DocumentNode, type ExecutionArgs, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLLimits } from '../config/index.js';
import type { Deadline } from '../graphql/deadlinePlugin.js';

/** The setting that holds each limit, named in every rejection so operators know what to change. */
export const limitVariables: Record<keyof GraphQLLimits, string> = {
  maxDepth: 'SYNCBRIDGE_GRAPHQL_MAX_DEPTH',
  maxCost: 'SYNCBRIDGE_GRAPHQL_MAX_COST',
  maxBreadth: 'SYNCBRIDGE_GRAPHQL_MAX_BREADTH',
  maxAliases: 'SYNCBRIDGE_GRAPHQL_MAX_ALIASES',
  maxDirectives: 'SYNCBRIDGE_GRAPHQL_MAX_DIRECTIVES',
  maxTokens: 'SYNCBRIDGE_GRAPHQL_MAX_TOKENS',
  maxFragments: 'SYNCBRIDGE_GRAPHQL_MAX_FRAGMENTS',
  timeoutMs: 'SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS',
};

export function limitError(limit: keyof GraphQLLimits, message: string, detail: { max: number; actual?: number }): GraphQLError {
  return new GraphQLError(`${message} (${limitVariables[limit]}).`, {
    // A request error (nothing ran): 400 over HTTP, as for any invalid document (Yoga reads `http`).
    extensions: { code: 'OPERATION_LIMIT', limit, ...detail, http: { status: 400 } },
  });
}

/** armor's rules throw by default; reported instead, they come back as ordinary validation errors. */
const report = (message: (n: number) => string, limit: keyof GraphQLLimits, max: number) => ({
  n: max,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null) => context?.reportError(limitError(limit, message(max), { max }))],
});

function maxFragmentsRule(max: number): ValidationRule {
  return (context) => {
    const count = context.getDocument().definitions.filter((node) => node.kind === Kind.FRAGMENT_DEFINITION).length;
    if (count > max) context.reportError(limitError('maxFragments', `The document defines ${count} fragments; the limit is ${max}`, { max, actual: count }));
    return {};
  };
}

/**
 * Introspection is outside the cost model (Pothos counts `__schema` as one field), yet nested
 * introspection lists multiply: `types { fields { type { fields … } } }` asks for every field of
 * every field's type, again and again. Every standard introspection query (GraphiQL's included)
 * nests at most three lists (`types { fields { args } } }`), so deeper nesting is refused.
 */
const introspectionLists = new Set(['types', 'fields', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'args', 'directives']);
export const maxIntrospectionListNesting = 3;

function introspectionNestingRule(): ValidationRule {
  return (context) => {
    const fragments = new Map<string, SelectionSetNode>();
    for (const node of context.getDocument().definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node.selectionSet);
    // Deepest list nesting below each selection set, memoized so fragment fan-out stays linear.
    const memo = [new Map<SelectionSetNode, number>(), new Map<SelectionSetNode, number>()] as const;
    const nesting = (set: SelectionSetNode, introspecting: boolean, seen: Set<SelectionSetNode>): number => {
      const known = memo[introspecting ? 1 : 0];
      const cached = known.get(set);
      if (cached !== undefined) return cached;
      if (seen.has(set)) return 0; // a fragment cycle: graphql's own rule reports it
      seen.add(set);
      let deepest = 0;
      for (const selection of set.selections) {
        let below = 0;
        if (selection.kind === Kind.FIELD) {
          if (!selection.selectionSet) continue;
          const name = selection.name.value;
          const inside = introspecting || name === '__schema' || name === '__type';
          below = nesting(selection.selectionSet, inside, seen) + (inside && introspectionLists.has(name) ? 1 : 0);
        } else {
          const target = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection.selectionSet;
          if (target) below = nesting(target, introspecting, seen);
        }
        deepest = Math.max(deepest, below);
      }
      seen.delete(set);
      known.set(set, deepest);
      return deepest;
    };
    return {
      OperationDefinition: (operation) => {
        const depth = nesting(operation.selectionSet, false, new Set());
        if (depth > maxIntrospectionListNesting) {
          context.reportError(
            limitError('maxDepth', `Introspection lists (types, fields, args, …) nest ${depth} deep; at most ${maxIntrospectionListNesting} are allowed`, {
              max: maxIntrospectionListNesting,
              actual: depth,
            }),
          );
        }
      },
    };
  };
}

/** The document-only rules (no variables needed): safe for Yoga's per-document validation cache. */
export function documentRules(limits: GraphQLLimits): ValidationRule[] {
  return [
    maxAliasesRule({ ...report((n) => `Too many aliases: the limit is ${n}`, 'maxAliases', limits.maxAliases), allowList: [] }),
    maxDirectivesRule(report((n) => `Too many directives: the limit is ${n}`, 'maxDirectives', limits.maxDirectives)),
    maxFragmentsRule(limits.maxFragments),
    introspectionNestingRule(),
  ];
}

/**
 * The variables a document passes as `first` or `last`: the only arguments the schema's cost
 * model reads (src/graphql/listBounds.ts and the jobs connection), so the only variables a cost
 * depends on. Found once per document.
 */
const boundVariablesOf = new WeakMap<DocumentNode, string[]>();

function boundVariables(document: DocumentNode): string[] {
  let names = boundVariablesOf.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, {
      Argument: (node) => {
        if ((node.name.value === 'first' || node.name.value === 'last') && node.value.kind === Kind.VARIABLE) found.add(node.value.name.value);
      },
    });
    boundVariablesOf.set(document, (names = [...found]));
  }
  return names;
}

/** Verdicts per document and the values of its bound variables: the same request shape is measured once. */
const verdicts = new WeakMap<DocumentNode, Map<string, readonly GraphQLError[]>>();

/**
 * Depth, breadth and cost of the operation the request selects, with its variables. Returns the
 * errors (empty when within every limit). Cached per document and operation and the values of the
 * variables that set list bounds, so a dashboard's repeated query is measured once.
 */
export function checkOperationCost(
  args: Pick<ExecutionArgs, 'schema' | 'document' | 'variableValues' | 'operationName' | 'contextValue'>,
  limits: GraphQLLimits,
): readonly GraphQLError[] {
  const document = args.document as DocumentNode;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const key = `${args.operationName ?? ''}\n${boundVariables(document)
    .map((name) => JSON.stringify(variables[name] ?? null))
    .join(',')}`;
  let known = verdicts.get(document);
  const cached = known?.get(key);
  if (cached) return cached;
  const errors = measure(args, limits);
  // Not a verdict about invalid variables: those depend on values the key leaves out.
  if (errors.every((error) => error.extensions?.code === 'OPERATION_LIMIT')) {
    if (!known) verdicts.set(document, (known = new Map()));
    if (known.size < 64) known.set(key, errors);
  }
  return errors;
}

function measure(args: Pick<ExecutionArgs, 'schema' | 'document' | 'variableValues' | 'operationName' | 'contextValue'>, limits: GraphQLLimits): readonly GraphQLError[] {
  return validate(args.schema, args.document as DocumentNode, [
    createComplexityRule({
      context: (args.contextValue ?? {}) as object,
      variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
      operationName: args.operationName,
      validate: ({ depth, breadth, complexity }, reportError) => {
        if (depth > limits.maxDepth) {
          reportError(limitError('maxDepth', `The operation nests ${depth} levels deep; the limit is ${limits.maxDepth}`, { max: limits.maxDepth, actual: depth }));
        } else if (breadth > limits.maxBreadth) {
          reportError(
            limitError('maxBreadth', `The operation selects ${breadth} fields (fragments expanded); the limit is ${limits.maxBreadth}`, {
              max: limits.maxBreadth,
              actual: breadth,
            }),
          );
        } else if (complexity > limits.maxCost) {
          reportError(
            limitError(
              'maxCost',
              `The operation's estimated cost is ${complexity} (each field 1, each list times its bound: first, page size); the limit is ${limits.maxCost}. Ask for fewer items or fewer nested lists`,
              { max: limits.maxCost, actual: complexity },
            ),
          );
        }
      },
    }),
  ]);
}

const checked = new WeakSet<object>();

/** Marks args as already checked (the WebSocket server checks before subscribing, to answer with an error message). */
export function markChecked(args: ExecutionArgs): void {
  if (args.contextValue && typeof args.contextValue === 'object') checked.add(args.contextValue);
}

function timeoutError(limits: GraphQLLimits): GraphQLError {
  const seconds = limits.timeoutMs / 1000;
  return new GraphQLError(`The operation ran longer than the ${seconds} s limit and was stopped (${limitVariables.timeoutMs}).`, {
    extensions: { code: 'OPERATION_TIMEOUT', limit: 'timeoutMs', max: limits.timeoutMs },
  });
}

/** The Yoga plugins that enforce `limits` on every operation. */
export function operationLimitPlugins(limits: GraphQLLimits): Plugin[] {
  const rules = documentRules(limits);
  const tokenMessage = `The document has more than ${limits.maxTokens} tokens (${limitVariables.maxTokens}).`;
  return [
    maxTokensPlugin({ n: limits.maxTokens, exposeLimits: false, errorMessage: tokenMessage }) as Plugin,
    { onValidate: ({ addValidationRule }) => rules.forEach((rule) => addValidationRule(rule)) },
    {
      onExecute: ({ args, setResultAndStopExecution, extendContext }) => {
        if (!checked.has(args.contextValue as object)) {
          const errors = checkOperationCost(args, limits);
          if (errors.length) return setResultAndStopExecution({ errors });
        }
        // Resolvers check it before they run (src/graphql/deadlinePlugin.ts).
        const expiresAt = performance.now() + limits.timeoutMs;
        const deadline: Deadline = {
          check: () => {
            if (performance.now() > expiresAt) throw timeoutError(limits);
          },
        };
        extendContext({ deadline } as Record<string, unknown>);
        return {
          // Every resolver refused after the deadline reports it: one error says it for all.
          onExecuteDone: ({ result, setResult }) => {
            if (!('errors' in result) || !result.errors?.length) return;
            const others = result.errors.filter((error) => error.extensions?.code !== 'OPERATION_TIMEOUT');
            if (others.length !== result.errors.length) setResult({ ...result, errors: [timeoutError(limits), ...others] });
          },
        };
      },
      onSubscribe: ({ args, setResultAndStopExecution }) => {
        if (checked.has(args.contextValue as object)) return;
        const errors = checkOperationCost(args, limits);
        if (errors.length) setResultAndStopExecution({ errors });
      },
    },
  ];
}
