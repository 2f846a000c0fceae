/**
 * The execution time limit, enforced where the work is: before every resolver that does work
 * (everything but an exposed column) runs, it checks the operation's deadline (set by the server in the context) and refuses to start once it has
 * passed, so an over-long operation stops doing work, not just stops being awaited. A timer on the
 * executor's abort signal would not do: SQLite queries run on this thread, so no timer fires
 * until the execution is over, and graphql-tools leaves the rejections of abandoned fields
 * unhandled when its signal aborts mid-loop.
 */
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';

/** What the server puts in the context of a query or mutation (not subscriptions). */
export interface Deadline {
  /** Throws the time-limit error once the deadline has passed. */
  check(): void;
}

declare global {
  // Pothos's plugin registry is a global namespace: the only way to add a plugin's types.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      deadline: DeadlinePlugin<Types>;
    }
  }
}

export class DeadlinePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    // An exposed column is a property read: checking the clock around it costs more than it.
    if (fieldConfig.extensions?.pothosExposedField) return resolver;
    return (parent, args, context, info) => {
      (context as { deadline?: Deadline }).deadline?.check();
      return resolver(parent, args, context, info);
    };
  }
}

export const deadlinePlugin = 'deadline';
SchemaBuilder.registerPlugin(deadlinePlugin, DeadlinePlugin);
