/**
 * The stock live recipe, as baseline for `npm run bench:live`: graphql-yoga with graphql-ws's
 * `useServer` on the same port (Yoga's documented WebSocket setup) and Yoga's in-memory pub/sub;
 * each subscriber's events are executed and serialized for that subscriber. No database: a
 * publisher in this process plays jobs going PENDING → RUNNING → FAILED at the asked rate, each
 * event stamped with its publish time (so the latency it shows is publish→client, a lower bound
 * of commit→client). PORT from env.
 *
 *   POST /bench/publish {"rate": transitions per second, "seconds": n} → [[id, "FAILED"], …] when done
 *   GET /bench/subscriptions → subscriptions started so far
 */
import { createServer } from 'node:http';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ExecutionArgs } from 'graphql';

interface JobEvent {
  id: string;
  status: string;
  phase: string;
  entityId: string;
  jobType: string;
  attemptCount: number;
  lastErrorType: string | null;
  updatedAt: string;
}

const pubsub = createPubSub<{ jobUpdated: [JobEvent] }>();
let subscriptionsStarted = 0;

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Job {
      id: ID!
      status: String!
      phase: String!
      entityId: String!
      jobType: String!
      attemptCount: Int!
      lastErrorType: String
      updatedAt: String!
    }
    type Query {
      ok: Boolean
    }
    type Subscription {
      jobUpdated: Job!
    }
  `,
  resolvers: {
    Subscription: {
      jobUpdated: {
        subscribe: () => {
          subscriptionsStarted += 1;
          return pubsub.subscribe('jobUpdated');
        },
        resolve: (event: JobEvent) => event,
      },
    },
  },
});

const yoga = createYoga({ schema, logging: false, graphiql: false });

let nextId = 1;
/** Publishes jobs (three transitions each) in 50 ms ticks for `seconds`; resolves with each job's final status. */
async function publish(rate: number, seconds: number): Promise<[number, string][]> {
  const jobsPerTick = rate / 3 / 20;
  const jobs: [number, string][] = [];
  const running: number[] = [];
  let carry = 0;
  const started = Date.now();
  const event = (id: number, status: string, phase: string): JobEvent => ({
    id: String(id),
    status,
    phase,
    entityId: `c_${id}`,
    jobType: 'CUSTOMER_SYNC',
    attemptCount: status === 'PENDING' ? 0 : 1,
    lastErrorType: status === 'FAILED' ? 'NotFound' : null,
    updatedAt: new Date().toISOString(),
  });
  for (let tick = 0; Date.now() - started < seconds * 1000; tick++) {
    // Last tick's jobs finish, this tick's start: the same three transitions a real job makes.
    for (const id of running.splice(0)) pubsub.publish('jobUpdated', event(id, 'FAILED', 'FINISHED'));
    carry += jobsPerTick;
    const count = Math.floor(carry);
    carry -= count;
    for (let k = 0; k < count; k++) {
      const id = nextId++;
      jobs.push([id, 'FAILED']);
      pubsub.publish('jobUpdated', event(id, 'PENDING', 'QUEUED'));
      pubsub.publish('jobUpdated', event(id, 'RUNNING', 'RUNNING'));
      running.push(id);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * 50 - Date.now())));
  }
  for (const id of running.splice(0)) pubsub.publish('jobUpdated', event(id, 'FAILED', 'FINISHED'));
  return jobs;
}

const server = createServer((req, res) => {
  if (req.url === '/bench/subscriptions') return void res.end(String(subscriptionsStarted));
  if (req.url === '/bench/publish' && req.method === 'POST') {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { rate, seconds } = JSON.parse(body) as { rate: number; seconds: number };
      void publish(rate, seconds).then((jobs) => res.end(JSON.stringify(jobs)));
    });
    return;
  }
  void yoga(req, res);
});

const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
useServer(
  {
    execute: (args: unknown) => (args as { rootValue: { execute(a: unknown): unknown } }).rootValue.execute(args) as never,
    subscribe: (args: unknown) => (args as { rootValue: { subscribe(a: unknown): unknown } }).rootValue.subscribe(args) as never,
    onSubscribe: async (context, _id, params) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ ...context, req: context.extra.request, socket: context.extra.socket, params });
      const args = {
        schema,
        operationName: params.operationName,
        document: parse(params.query),
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      } as ExecutionArgs;
      const errors = validate(args.schema, args.document);
      if (errors.length) return errors;
      return args;
    },
  },
  wss,
);

server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
