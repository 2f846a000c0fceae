/** The jobs filter as a form: submitting puts it in the URL (so it survives reloads and can be shared). */
import type { FormEvent, RefObject } from 'react';
import { errorTypes, jobsUrl, phases, statuses, type JobFilter } from '../../filters';
import { useJobTypes } from '../../jobTypes';
import { navigate } from '../../router';
import { fromUtcInput, utcInputValue } from '../../time';

const fromInput = (value: FormDataEntryValue | null) => fromUtcInput(typeof value === 'string' ? value : undefined);

/** A from–to pair of date-times in UTC, named `<name>After` and `<name>Before`. */
function TimeRange({ legend, name, from, to }: { legend: string; name: string; from?: string; to?: string }) {
  return (
    <fieldset>
      <legend>{legend} (UTC)</legend>
      <label>
        from <input type="datetime-local" name={`${name}After`} defaultValue={utcInputValue(from)} />
      </label>
      <label>
        to <input type="datetime-local" name={`${name}Before`} defaultValue={utcInputValue(to)} />
      </label>
    </fieldset>
  );
}

function submitFilter(event: FormEvent<HTMLFormElement>): void {
  event.preventDefault();
  const form = new FormData(event.currentTarget);
  const text = (name: string) => ((form.get(name) as string | null) ?? '').trim() || undefined;
  navigate(
    jobsUrl({
      status: text('status'),
      phase: text('phase'),
      type: text('type'),
      entity: text('entity'),
      group: text('group'),
      correlation: text('correlation'),
      error: text('error'),
      createdAfter: fromInput(form.get('createdAfter')),
      createdBefore: fromInput(form.get('createdBefore')),
      finishedAfter: fromInput(form.get('finishedAfter')),
      finishedBefore: fromInput(form.get('finishedBefore')),
    }),
  );
}

export function FilterForm({ filter, formKey, searchRef }: { filter: JobFilter; formKey: string; searchRef: RefObject<HTMLInputElement | null> }) {
  const { types: jobTypes } = useJobTypes();
  const statusValue = filter.status?.join(',') ?? '';
  const entityValue = filter.entityIdPrefix !== undefined ? `${filter.entityIdPrefix}*` : (filter.entityId ?? '');
  return (
    // Keyed by the types too: the type select's default applies once its options are there.
    <form className="filters" onSubmit={submitFilter} key={`${formKey}:${jobTypes.length}`} aria-label="Filter jobs" role="search">
      <label>
        <span>
          Entity id (<kbd>/</kbd>; <code>c_10*</code> for a prefix)
        </span>
        <input name="entity" ref={searchRef} defaultValue={entityValue} placeholder="c_1001" autoComplete="off" />
      </label>
      <label>
        Group
        <input name="group" defaultValue={filter.groupKey ?? ''} placeholder="acme" autoComplete="off" />
      </label>
      <label>
        Correlation id
        <input name="correlation" defaultValue={filter.correlationId ?? ''} placeholder="uuid" autoComplete="off" />
      </label>
      <label>
        Status
        <select name="status" defaultValue={statusValue}>
          <option value="">any</option>
          {statusValue.includes(',') && <option value={statusValue}>{statusValue}</option>}
          {statuses.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <label>
        Phase
        <select name="phase" defaultValue={filter.phase ?? ''}>
          <option value="">any</option>
          {phases.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <label>
        Type
        <select name="type" defaultValue={filter.jobType?.[0] ?? ''}>
          <option value="">any</option>
          {jobTypes.map((type) => (
            <option key={type.jobType} value={type.jobType} title={type.description ?? undefined}>
              {type.jobType.toLowerCase()}
              {type.registered ? '' : ' (retired)'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Error type
        <select name="error" defaultValue={filter.errorType ?? ''}>
          <option value="">any</option>
          {filter.errorType && !(errorTypes as readonly string[]).includes(filter.errorType) && <option value={filter.errorType}>{filter.errorType}</option>}
          {errorTypes.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <TimeRange legend="Created" name="created" from={filter.createdAfter} to={filter.createdBefore} />
      <TimeRange legend="Finished" name="finished" from={filter.finishedAfter} to={filter.finishedBefore} />
      <div className="filter-buttons">
        <button type="submit">Search</button>
        <button type="button" className="secondary" onClick={() => navigate('/')}>
          Clear
        </button>
      </div>
    </form>
  );
}
