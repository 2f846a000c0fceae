/**
 * The Standard Schema interfaces (https://standardschema.dev, @standard-schema/spec 1.1), copied
 * as the spec asks of libraries that accept schemas: any validator that implements them (zod 4,
 * valibot, ArkType, …) describes a job type's payload, with no adapter and no dependency.
 * `StandardJSONSchemaV1` is the optional part that turns a schema into JSON Schema (zod 4.2+,
 * ArkType; valibot through @valibot/to-json-schema), which the API and the dashboard show.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// The spec's own shape: a namespace of types beside the interface.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** The JSON Schema converter a schema may carry beside its validator. */
export interface StandardJSONSchemaConverter {
  readonly input: (options: { readonly target: 'draft-2020-12' | 'draft-07' | 'openapi-3.0' | (string & {}) }) => Record<string, unknown>;
  readonly output: (options: { readonly target: 'draft-2020-12' | 'draft-07' | 'openapi-3.0' | (string & {}) }) => Record<string, unknown>;
}

/** A schema's JSON Schema (of its input: what an enqueue sends), where its library can tell. */
export function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const converter = (schema['~standard'] as { jsonSchema?: StandardJSONSchemaConverter }).jsonSchema;
  if (!converter?.input) return undefined;
  try {
    return converter.input({ target: 'draft-2020-12' });
  } catch {
    return undefined; // a schema its library cannot express in JSON Schema (a transform, a refinement)
  }
}

/** A path as the API names it: `payload.email`, `payload.lines[2].sku`. */
export function issuePath(issue: StandardSchemaV1.Issue, root = 'payload'): string {
  let path = root;
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return path;
}
