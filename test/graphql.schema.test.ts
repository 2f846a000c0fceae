import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInputObjectType, isInterfaceType, isObjectType, isEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedPossibleTypes, printedSchema, schema } from '../src/graphql/schema.js';

describe('GraphQL schema', () => {
  it("schema.graphql and the dashboard cache's possible types are current (npm run schema regenerates both)", () => {
    expect(readFileSync('schema.graphql', 'utf8')).toBe(printedSchema());
    expect(readFileSync('client/src/possibleTypes.ts', 'utf8')).toBe(printedPossibleTypes());
  });

  it("the client's generated types are current (npm run client:types regenerates them from schema.graphql)", () => {
    const directory = mkdtempSync(join(tmpdir(), 'syncbridge-tada-'));
    try {
      const output = join(directory, 'graphql-env.d.ts');
      execFileSync(process.execPath, ['node_modules/gql.tada/bin/cli.js', 'generate', 'output', '--tsconfig', 'client/tsconfig.json', '--output', output], { stdio: 'pipe' });
      expect(readFileSync('client/src/graphql-env.d.ts', 'utf8')).toBe(readFileSync(output, 'utf8'));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('keeps the SPEC contract names', () => {
    const query = schema.getQueryType()!.getFields();
    expect(Object.keys(query)).toEqual(expect.arrayContaining(['job', 'jobs', 'metrics']));
    const mutation = schema.getMutationType()!.getFields();
    expect(Object.keys(mutation)).toEqual(expect.arrayContaining(['enqueueJob', 'enqueueJobs', 'retryJob', 'cancelJob', 'replayJob']));
    expect(String(mutation.replayJob!.args.find((arg) => arg.name === 'attemptId')!.type)).toBe('ID');
    const job = schema.getType('Job');
    expect(isObjectType(job) && String(job.getFields().id!.type)).toBe('ID!');
    for (const name of ['DuplicateActiveJobError', 'NotFoundError', 'InvalidStateError', 'InputError']) {
      const type = schema.getType(name);
      expect(isObjectType(type) && type.getInterfaces().map(String)).toEqual(['Error']);
    }
    const jobType = schema.getType('JobType');
    expect(isEnumType(jobType) && jobType.getValues().map((value) => value.name)).toEqual(['CUSTOMER_SYNC', 'INVOICE_SYNC']);
  });

  it('every type, field and argument has a description (GraphiQL docs are the API reference)', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
