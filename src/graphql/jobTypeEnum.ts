/**
 * The JobType enum follows the process's registry: the schema built once by Pothos (with the
 * demo's types, as schema.graphql shows) gets its JobType enum replaced by one holding the
 * registered types, plus the types earlier processes registered whose jobs may still be stored
 * (listed, not run here). Every other type and resolver is kept as it is.
 */
import { GraphQLEnumType, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { JobTypeCatalog } from '../queue/jobTypes.js';

export const jobTypeEnumDescription = 'A registered job type (its name upper-cased); the jobTypes query describes each.';

/** A type's enum value name: `contact_sync` → `CONTACT_SYNC`. */
export function graphqlJobTypeName(name: string): string {
  return name.toUpperCase();
}

export function withJobTypes(schema: GraphQLSchema, catalog: JobTypeCatalog, retired: readonly string[] = []): GraphQLSchema {
  const values: Record<string, { value: string; description?: string }> = {};
  for (const type of catalog.all()) values[graphqlJobTypeName(type.name)] = { value: type.name, description: type.description };
  for (const name of retired) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) continue;
    values[graphqlJobTypeName(name)] ??= { value: name, description: 'Not registered in this process: its stored jobs are listed, not run, and it cannot be enqueued here.' };
  }
  return mapSchema(schema, {
    [MapperKind.ENUM_TYPE]: (type) => (type.name === 'JobType' ? new GraphQLEnumType({ name: type.name, description: type.description, values }) : type),
  });
}
