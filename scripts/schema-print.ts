/**
 * Writes schema.graphql, the printed SDL of the GraphQL API, and client/src/possibleTypes.ts, its
 * abstract types for the dashboard's cache (both committed; a test checks they are current).
 */
import { writeFileSync } from 'node:fs';
import { printedPossibleTypes, printedSchema } from '../src/graphql/schema.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
writeFileSync(new URL('../client/src/possibleTypes.ts', import.meta.url), printedPossibleTypes());
console.log('wrote schema.graphql and client/src/possibleTypes.ts');
