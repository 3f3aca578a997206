import { useEffect, useState } from 'react';
import { api, ApiError, errorText } from '../api.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';

import type { RolePrivileges } from '../apiTypes.js';

/** Privileges per role: a grid of checkboxes, saved per role. Administrators always hold everything. */
export function AdminRoles() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<{ items: RolePrivileges[]; privileges: string[] }>('/api/v1/roles', undefined, signal),
    [],
  );
  const [edits, setEdits] = useState<Record<string, string[]>>({});
  const [twoFactor, setTwoFactor] = useState<Record<string, boolean>>({});
  useEffect(() => {
    if (data) {
      setEdits(Object.fromEntries(data.items.map((r) => [r.role, r.privileges])));
      setTwoFactor(Object.fromEntries(data.items.map((r) => [r.role, r.requireTwoFactor])));
    }
  }, [data]);
  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading roles…</p>;
  const roles = data.items.filter((r) => r.role !== 'admin');

  const save = async (r: RolePrivileges) => {
    try {
      await api.put(
        `/api/v1/roles/${r.role}`,
        { privileges: edits[r.role] ?? r.privileges, requireTwoFactor: twoFactor[r.role] ?? r.requireTwoFactor },
        r.version,
      );
      toast({ text: `Privileges of ${r.role} saved`, kind: 'success' });
      reload();
    } catch (e) {
      toast({
        text: e instanceof ApiError && e.status === 409 ? 'Someone else changed this role; reloaded.' : errorText(e),
        kind: 'error',
      });
      reload();
    }
  };

  return (
    <div>
      <h2>Roles and privileges</h2>
      <p className="hint">Administrators hold every privilege. A user may also be given their own list (Users).</p>
      <div className="table-wrap">
        <table className="list matrix">
          <caption className="sr-only">Privileges per role</caption>
          <thead>
            <tr>
              <th scope="col">Privilege</th>
              {roles.map((r) => (
                <th scope="col" key={r.role}>
                  {r.role}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.privileges
              .filter((p) => p !== 'admin')
              .map((p) => (
                <tr key={p}>
                  <th scope="row">{p}</th>
                  {roles.map((r) => {
                    const list = edits[r.role] ?? [];
                    return (
                      <td key={r.role}>
                        <input
                          type="checkbox"
                          aria-label={`${r.role}: ${p}`}
                          checked={list.includes(p)}
                          onChange={(e) =>
                            setEdits((o) => ({
                              ...o,
                              [r.role]: e.target.checked ? [...list, p] : list.filter((x) => x !== p),
                            }))
                          }
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        {roles.map((r) => (
          <button key={r.role} type="button" className="primary" onClick={() => void save(r)}>
            Save {r.role} privileges
          </button>
        ))}
      </div>
      <fieldset className="panel">
        <legend>Two-factor sign-in</legend>
        <p className="hint">
          Users of a checked role must sign in with a code from an authenticator app; until they set one up, they can do
          nothing else.
        </p>
        {data.items.map((r) => (
          <div key={r.role} className="check-row">
            <label>
              <input
                type="checkbox"
                checked={twoFactor[r.role] ?? false}
                onChange={(e) => setTwoFactor((o) => ({ ...o, [r.role]: e.target.checked }))}
              />{' '}
              Require for {r.role === 'admin' ? 'administrators' : `${r.role}s`}
            </label>{' '}
            {(twoFactor[r.role] ?? false) !== r.requireTwoFactor && (
              <button type="button" className="primary" onClick={() => void save(r)}>
                Save {r.role}
              </button>
            )}
          </div>
        ))}
      </fieldset>
    </div>
  );
}
