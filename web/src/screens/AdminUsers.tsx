import { useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { Field, FormErrors, Select } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import { displayName } from '../session.js';
import { SessionsTable, type SessionInfo } from './Account.js';

interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'admin' | 'supervisor' | 'agent';
  privileges: string[];
  privilegesOverride: boolean;
  disabled: boolean;
  version: number;
}

interface UserDraft {
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  password: string;
  disabled: boolean;
  override: boolean;
  privileges: string[];
}

const ROLES = [
  { value: 'agent', label: 'Agent' },
  { value: 'supervisor', label: 'Supervisor' },
  { value: 'admin', label: 'Administrator' },
];

function UserForm({
  user,
  allPrivileges,
  onSaved,
  onCancel,
}: {
  user: User | null;
  allPrivileges: string[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<UserDraft>(() => ({
    email: user?.email ?? '',
    firstName: user?.firstName ?? '',
    lastName: user?.lastName ?? '',
    role: user?.role ?? 'agent',
    password: '',
    disabled: user?.disabled ?? false,
    override: user?.privilegesOverride ?? false,
    privileges: user?.privileges ?? [],
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const set = (p: Partial<UserDraft>) => setV((o) => ({ ...o, ...p }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      email: v.email.trim(),
      firstName: v.firstName,
      lastName: v.lastName,
      role: v.role,
      disabled: v.disabled,
      privileges: v.override ? v.privileges : null,
    };
    if (v.password) body.password = v.password;
    try {
      if (user) await api.patch(`/api/v1/users/${user.id}`, body, user.version);
      else await api.post('/api/v1/users', body);
      onSaved();
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage(
        err instanceof ApiError && err.isStale
          ? 'Someone else changed this user; close and reopen it.'
          : errorText(err),
      );
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label={user ? 'Edit user' : 'New user'}>
      <Field
        label="Email"
        type="email"
        value={v.email}
        onChange={(e) => set({ email: e.target.value })}
        error={errors.email}
      />
      <div className="row">
        <Field
          label="First name"
          value={v.firstName}
          onChange={(e) => set({ firstName: e.target.value })}
          error={errors.firstName}
        />
        <Field
          label="Last name"
          value={v.lastName}
          onChange={(e) => set({ lastName: e.target.value })}
          error={errors.lastName}
        />
      </div>
      <div className="row">
        <Select
          label="Role"
          value={v.role}
          onChange={(e) => set({ role: e.target.value })}
          options={ROLES}
          error={errors.role}
        />
        <Field
          label={user ? 'New password (leave empty to keep)' : 'Password'}
          type="password"
          autoComplete="new-password"
          value={v.password}
          onChange={(e) => set({ password: e.target.value })}
          error={errors.password}
        />
      </div>
      <label className="check">
        <input type="checkbox" checked={v.disabled} onChange={(e) => set({ disabled: e.target.checked })} /> Disabled
        (cannot sign in)
      </label>
      {v.role !== 'admin' && (
        <fieldset>
          <legend>Privileges</legend>
          <label className="check">
            <input type="checkbox" checked={v.override} onChange={(e) => set({ override: e.target.checked })} /> Give
            this user their own privileges instead of the role&apos;s
          </label>
          {v.override && (
            <div className="privilege-grid">
              {allPrivileges.map((p) => (
                <label key={p} className="check">
                  <input
                    type="checkbox"
                    checked={v.privileges.includes(p)}
                    onChange={(e) =>
                      set({ privileges: e.target.checked ? [...v.privileges, p] : v.privileges.filter((x) => x !== p) })
                    }
                  />{' '}
                  {p}
                </label>
              ))}
            </div>
          )}
        </fieldset>
      )}
      <FormErrors message={message} />
      <div className="actions">
        <button type="submit" className="primary">
          {user ? 'Save user' : 'Create user'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** An administrator's view of a user's sign-ins: their sessions, sign them out, remove a lost authenticator. */
function UserSecurity({ user, onDone }: { user: User; onDone: () => void }) {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<{ items: SessionInfo[] }>(`/api/v1/users/${user.id}/sessions`, undefined, signal),
    [user.id],
  );
  const endAll = async () => {
    try {
      await api.del(`/api/v1/users/${user.id}/sessions`);
      toast({ text: `${user.email} is signed out everywhere`, kind: 'success' });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
  const resetTwoFactor = async () => {
    if (
      !window.confirm(
        `Remove the authenticator of ${user.email}? They sign in with the password alone until they set up a new one.`,
      )
    )
      return;
    try {
      await api.del(`/api/v1/users/${user.id}/two-factor`);
      toast({ text: `Two-factor sign-in of ${user.email} removed`, kind: 'success' });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
  return (
    <div>
      {error ? (
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      ) : !data ? (
        <p>Loading sessions…</p>
      ) : data.items.length === 0 ? (
        <p>Not signed in anywhere.</p>
      ) : (
        <SessionsTable items={data.items} />
      )}
      <div className="actions">
        <button type="button" className="danger" onClick={() => void endAll()} disabled={!data?.items.length}>
          Sign out of every session
        </button>
        <button type="button" onClick={() => void resetTwoFactor()}>
          Remove two-factor authenticator
        </button>
        <button type="button" onClick={onDone}>
          Close
        </button>
      </div>
    </div>
  );
}

export function AdminUsers() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) =>
      Promise.all([
        api.get<{ items: User[] }>('/api/v1/users', undefined, signal),
        api.get<{ privileges: string[] }>('/api/v1/roles', undefined, signal),
      ]),
    [],
  );
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [security, setSecurity] = useState<User | null>(null);
  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading users…</p>;
  const [users, roles] = data;
  return (
    <div>
      <div className="toolbar">
        <h2>Users</h2>
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New user
        </button>
      </div>
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.items.map((u) => (
              <tr key={u.id}>
                <td data-label="Name">{displayName(u)}</td>
                <td data-label="Email">{u.email}</td>
                <td data-label="Role">
                  {u.role}
                  {u.privilegesOverride && ' (own privileges)'}
                </td>
                <td data-label="Status">{u.disabled ? 'disabled' : 'active'}</td>
                <td>
                  <button type="button" onClick={() => setEditing(u)} aria-label={`Edit ${u.email}`}>
                    Edit
                  </button>{' '}
                  <button type="button" onClick={() => setSecurity(u)} aria-label={`Sign-ins of ${u.email}`}>
                    Sign-ins
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog
        open={editing !== null}
        title={editing === 'new' ? 'New user' : 'Edit user'}
        onClose={() => setEditing(null)}
        wide
      >
        {editing && (
          <UserForm
            user={editing === 'new' ? null : editing}
            allPrivileges={roles.privileges}
            onSaved={() => {
              toast({ text: 'User saved', kind: 'success' });
              setEditing(null);
              reload();
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Dialog>
      <Dialog
        open={security !== null}
        title={security ? `Sign-ins of ${security.email}` : 'Sign-ins'}
        onClose={() => setSecurity(null)}
        wide
      >
        {security && <UserSecurity user={security} onDone={() => setSecurity(null)} />}
      </Dialog>
    </div>
  );
}
