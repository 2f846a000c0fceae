/**
 * The stock recipe the API is built on, for the read benchmark: graphql-yoga with a plain SDL
 * schema answering the same queries from an in-memory Map (no database, no plugins). PORT from env.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

interface Attempt {
  id: string;
  attemptNumber: number;
  success: boolean;
  errorType: string | null;
  durationMs: number;
}
interface Job {
  id: string;
  status: string;
  attemptCount: number;
  updatedAt: string;
  attempts: Attempt[];
}

const jobs = new Map<string, Job>();
let attemptId = 0;
for (let i = 1; i <= 1_000; i++) {
  const attempts = [1, 2, 3].map((n) => ({ id: String(++attemptId), attemptNumber: n, success: n === 3, errorType: n === 3 ? null : 'UpstreamTimeout', durationMs: 12 }));
  jobs.set(String(i), { id: String(i), status: 'SUCCEEDED', attemptCount: 3, updatedAt: new Date().toISOString(), attempts });
}
const ordered = [...jobs.values()].reverse();

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Attempt {
      id: ID!
      attemptNumber: Int!
      success: Boolean!
      errorType: String
      durationMs: Int
    }
    type Job {
      id: ID!
      status: String!
      attemptCount: Int!
      updatedAt: String!
      attempts: [Attempt!]!
    }
    type JobEdge {
      cursor: String!
      node: Job!
    }
    type JobConnection {
      edges: [JobEdge!]!
    }
    type Query {
      job(id: ID!): Job
      jobs(first: Int): JobConnection!
    }
  `,
  resolvers: {
    Query: {
      job: (_root: unknown, { id }: { id: string }) => jobs.get(id) ?? null,
      jobs: (_root: unknown, { first }: { first?: number }) => ({ edges: ordered.slice(0, first ?? 20).map((node) => ({ cursor: node.id, node })) }),
    },
  },
});

const yoga = createYoga({ schema, logging: false });
createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
