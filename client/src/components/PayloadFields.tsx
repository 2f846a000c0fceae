/**
 * A job type's payload as form fields, from its JSON Schema: one input per top-level property
 * (text, email, URL, number, a checkbox, a choice of an enum's values), JSON for nested values,
 * and one JSON box when the schema is not a plain object. The server validates; its InputError
 * names the field at fault (`payload.email`), shown beside that input.
 */

type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
};

type FieldKind = 'text' | 'email' | 'url' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

interface PayloadField {
  name: string;
  kind: FieldKind;
  required: boolean;
  schema: JsonSchema;
}

function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string')) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((value) => value !== 'null') : schema.type;
  if (type === 'string') return schema.format === 'email' ? 'email' : schema.format === 'uri' || schema.format === 'url' ? 'url' : 'text';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

/** The fields of an object schema, or undefined when it is not one (the form then takes JSON). */
export function payloadFields(schema: unknown): PayloadField[] | undefined {
  const object = schema as JsonSchema | null | undefined;
  if (!object || object.type !== 'object' || !object.properties) return undefined;
  const required = new Set(object.required ?? []);
  return Object.entries(object.properties).map(([name, property]) => ({ name, kind: kindOf(property), required: required.has(name), schema: property }));
}

const fieldName = (name: string) => `payload.${name}`;

/** The payload the form holds (undefined when it holds none); throws a message for JSON that does not parse. */
export function payloadFromForm(form: FormData, schema: unknown): unknown {
  const fields = payloadFields(schema);
  if (!fields) {
    const raw = ((form.get('payload') as string | null) ?? '').trim();
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new Error('The payload is not valid JSON.');
    }
  }
  const payload: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = form.get(fieldName(field.name));
    if (field.kind === 'boolean') {
      payload[field.name] = raw === 'on';
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text === '') continue; // left empty: absent (the schema says whether that is allowed)
    if (field.kind === 'number' || field.kind === 'integer') payload[field.name] = Number(text);
    else if (field.kind === 'json') {
      try {
        payload[field.name] = JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${fieldName(field.name)} is not valid JSON.`);
      }
    } else payload[field.name] = text;
  }
  return payload;
}

function Input({ field, invalid, describedBy }: { field: PayloadField; invalid: boolean; describedBy: string | undefined }) {
  const common = { name: fieldName(field.name), 'aria-invalid': invalid || undefined, 'aria-describedby': describedBy };
  switch (field.kind) {
    case 'boolean':
      return <input type="checkbox" {...common} />;
    case 'enum':
      return (
        <select {...common} required={field.required} defaultValue="">
          <option value="">{field.required ? 'choose' : 'none'}</option>
          {(field.schema.enum as string[]).map((value) => (
            <option key={value}>{value}</option>
          ))}
        </select>
      );
    case 'number':
    case 'integer':
      return <input type="number" step={field.kind === 'integer' ? 1 : 'any'} min={field.schema.minimum} max={field.schema.maximum} {...common} />;
    case 'json':
      return <textarea rows={2} placeholder="JSON" spellCheck={false} {...common} />;
    default:
      return <input type={field.kind} autoComplete="off" {...common} />;
  }
}

/**
 * `errorField`: the field an InputError named (`payload.email`, or `payload`), shown beside it.
 * Inputs are not marked required: the server's answer (its path and message) is the one truth.
 */
export function PayloadFields({ schema, takesPayload, error }: { schema: unknown; takesPayload: boolean; error: { field: string; message: string } | undefined }) {
  if (!takesPayload) return null;
  const fields = payloadFields(schema);
  const errorFor = (name: string) => (error && (error.field === name || error.field.startsWith(`${name}.`) || error.field.startsWith(`${name}[`)) ? error.message : undefined);
  if (!fields) {
    const message = errorFor('payload');
    return (
      <label className="payload-json">
        Payload (JSON)
        <textarea name="payload" rows={3} spellCheck={false} placeholder="{ }" aria-invalid={message ? true : undefined} aria-describedby={message ? 'payload-error' : undefined} />
        {message && (
          <span className="field-error" id="payload-error" role="alert">
            {message}
          </span>
        )}
      </label>
    );
  }
  const whole = error?.field === 'payload' ? error.message : undefined;
  return (
    <fieldset className="payload">
      <legend>Payload</legend>
      {fields.map((field) => {
        const message = errorFor(fieldName(field.name));
        const id = `payload-error-${field.name}`;
        return (
          <label key={field.name} title={field.schema.description}>
            <span>
              {field.name}
              {field.required && <span aria-hidden="true"> *</span>}
            </span>
            <Input field={field} invalid={Boolean(message)} describedBy={message ? id : undefined} />
            {message && (
              <span className="field-error" id={id} role="alert">
                {message}
              </span>
            )}
          </label>
        );
      })}
      {whole && (
        <span className="field-error" role="alert">
          {whole}
        </span>
      )}
    </fieldset>
  );
}
