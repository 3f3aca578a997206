import { useState } from 'react';
import { fieldErrors } from '../api.js';
import { cfPatchBody, CustomFieldInputs, customFieldRows, type CfValues, type FieldDef } from '../customFields.js';

/** A record's custom fields: shown as details, edited in place, saved as a PATCH of the changed keys. */
export function CustomFieldsPanel({
  defs,
  values,
  canEdit,
  onSave,
}: {
  defs: FieldDef[];
  values: CfValues | undefined;
  canEdit: boolean;
  onSave: (patch: CfValues) => Promise<void>;
}) {
  const [editing, setEditing] = useState<CfValues | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const rows = customFieldRows(defs, values);
  if (rows.length === 0) return null;
  if (editing) {
    return (
      <form
        aria-label="Edit more details"
        onSubmit={(e) => {
          e.preventDefault();
          const patch = cfPatchBody(defs, editing, values ?? {});
          if (!patch) {
            setEditing(null);
            return;
          }
          onSave(patch).then(
            () => {
              setEditing(null);
              setErrors({});
            },
            (err) => setErrors(fieldErrors(err)),
          );
        }}
      >
        <CustomFieldInputs defs={defs} value={editing} onChange={setEditing} errors={errors} />
        <div className="actions">
          <button type="submit" className="primary">
            Save details
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  return (
    <section className="custom-values" aria-label="More details">
      <dl className="details compact">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {canEdit && (
        <button type="button" onClick={() => setEditing({ ...(values ?? {}) })}>
          Edit more details
        </button>
      )}
    </section>
  );
}
