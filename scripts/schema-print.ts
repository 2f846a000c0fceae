/** Writes schema.graphql, the printed SDL of the GraphQL API (committed; a test checks it is current). */
import { writeFileSync } from 'node:fs';
import { printedSchema } from '../src/graphql/schema.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
console.log('wrote schema.graphql');
