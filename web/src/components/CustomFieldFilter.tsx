import type { FieldDef } from '../customFields.js';

/** An equality filter on a filterable custom field (`?cf.<key>=`), for the Customers and Cases lists. */
export function CustomFieldFilter({
  d,
  value,
  onChange,
}: {
  d: FieldDef;
  value: string;
  onChange: (v: string) => void;
}) {
  const id = `cf-filter-${d.key}`;
  const pick = d.type === 'singlePick' || d.type === 'multiPick';
  return (
    <div className="field">
      <label htmlFor={id}>{d.label}</label>
      {pick || d.type === 'boolean' ? (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Any</option>
          {d.type === 'boolean' ? (
            <>
              <option value="true">Yes</option>
              <option value="false">No</option>
            </>
          ) : (
            d.options.map((o) => (
              <option key={o.key} value={o.key}>
                {o.label}
              </option>
            ))
          )}
        </select>
      ) : (
        <input
          id={id}
          type={d.type === 'date' ? 'date' : 'text'}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
