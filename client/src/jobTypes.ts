/**
 * The job types the server runs (its registry: the demo's, or a team's own), read once from the
 * API: the filters and the enqueue form list them, and the form offers each type's payload
 * fields from its JSON Schema. schema.graphql's JobType enum shows the demo's types; a server
 * with its own answers with those, so names are plain strings here.
 */
import { useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql, type ResultOf } from './graphql';
import type { introspection } from './graphql-env.d.ts';

const JobTypesCatalog = graphql(`
  query JobTypesCatalog {
    jobTypes {
      jobType
      registered
      description
      versions
      takesPayload
      payloadSchema
      paused
    }
  }
`);
/** Keeps `paused` current: Graphcache keys each type by its name, so this patches the catalog's rows. */
const JobTypesPausedLive = graphql(`
  subscription JobTypesPausedLive {
    jobTypesUpdated {
      jobType
      paused
    }
  }
`);

export type JobTypeInfo = ResultOf<typeof JobTypesCatalog>['jobTypes'][number];

/** The API's JobType as the generated types spell it (the demo's set); any registered name is valid at run time. */
export type JobTypeName = introspection['types']['JobType']['enumValues'];

/** A registered type's name as a JobType value (see JobTypeName). */
export const asJobType = (name: string) => name as JobTypeName;

export function useJobTypes(): { types: readonly JobTypeInfo[]; fetching: boolean } {
  const [{ data, fetching }] = useQuery({ query: JobTypesCatalog });
  return { types: data?.jobTypes ?? [], fetching };
}

/** The names of the paused types, live: their PENDING jobs wait, and every view of them says so. */
export function usePausedTypes(): ReadonlySet<string> {
  const { types } = useJobTypes();
  useSubscription({ query: JobTypesPausedLive });
  const key = types.map((type) => `${type.jobType}:${type.paused}`).join();
  return useMemo(() => new Set(types.filter((type) => type.paused).map((type) => type.jobType)), [key]); // eslint-disable-line react-hooks/exhaustive-deps
}
