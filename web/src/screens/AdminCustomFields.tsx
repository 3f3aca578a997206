import { api, ApiError, errorText, type Page } from '../api.js';
import { useLoad } from '../hooks.js';

interface FieldDef {
  id: string;
  objectType: string;
  key: string;
  label: string;
  type: string;
  required: boolean;
  retired: boolean;
}

/** Custom field definitions (read-only list until the custom-fields API is complete). */
export function AdminCustomFields() {
  const { data, error } = useLoad(
    (signal) => api.get<Page<FieldDef>>('/api/v1/custom-fields', { limit: 200 }, signal),
    [],
  );
  if (error)
    return (
      <p className={error instanceof ApiError && error.status === 404 ? 'note' : 'error'} role="status">
        {error instanceof ApiError && error.status === 404
          ? 'Custom fields are not available on this server yet.'
          : errorText(error)}
      </p>
    );
  if (!data) return <p>Loading custom fields…</p>;
  return (
    <div>
      <h2>Custom fields</h2>
      {data.items.length === 0 ? (
        <p className="empty">No custom fields defined.</p>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Key</th>
              <th scope="col">Label</th>
              <th scope="col">Type</th>
              <th scope="col">Required</th>
              <th scope="col">Retired</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((f) => (
              <tr key={f.id}>
                <td>{f.objectType}</td>
                <td>{f.key}</td>
                <td>{f.label}</td>
                <td>{f.type}</td>
                <td>{f.required ? 'yes' : 'no'}</td>
                <td>{f.retired ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
