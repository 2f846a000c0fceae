/**
 * Array parameters in PostgreSQL's literal form, built directly: node-postgres escapes every
 * element of every array one by one (`prepareValue` per element), which showed in the drain's
 * profile. Numbers, booleans and ISO times need no quoting; text is always quoted (so "NULL",
 * "" and "{" stay text), its backslashes and double quotes escaped. A contract test
 * (test/db.postgresArrays.test.ts) round-trips awkward values through a real server and compares
 * with node-postgres's own encoding, so a difference shows by name.
 */
export const pgArray = {
  numbers: (values: readonly (number | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : String(value))).join(',')}}`,
  booleans: (values: readonly boolean[]) => `{${values.map((value) => (value ? 't' : 'f')).join(',')}}`,
  times: (values: readonly (Date | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : value.toISOString())).join(',')}}`,
  texts: (values: readonly (string | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`)).join(',')}}`,
};

export const iso = (date: Date | null) => (date ? date.toISOString() : null);
