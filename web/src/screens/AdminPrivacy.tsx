import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, fieldErrors } from '../api.js';
import { Field } from '../components/Field.js';
import { useToast } from '../components/Toasts.js';
import { useLoad } from '../hooks.js';
import type { Retention } from '../apiTypes.js';

/**
 * Admin → Privacy: how long closed cases are kept before the hourly job erases
 * them (docs/exporting.md, "Retention of closed cases"). Erasing one customer
 * is on the customer's record.
 */
export function AdminPrivacy() {
  const toast = useToast();
  const { data, error, reload } = useLoad(
    (signal) => api.get<Retention>('/api/v1/privacy/retention', undefined, signal),
    [],
  );
  const [keepForever, setKeepForever] = useState(true);
  const [months, setMonths] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (!data) return;
    setKeepForever(data.closedCaseMonths === null);
    setMonths(data.closedCaseMonths === null ? '' : String(data.closedCaseMonths));
  }, [data]);

  if (error)
    return (
      <p className="error" role="alert">
        {errorText(error)}
      </p>
    );
  if (!data) return <p>Loading the privacy settings…</p>;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const n = Number(months);
    if (!keepForever && (months.trim() === '' || !Number.isInteger(n))) {
      setErrors({ closedCaseMonths: 'Enter a whole number of months, or choose to keep closed cases for ever.' });
      return;
    }
    try {
      await api.put('/api/v1/privacy/retention', {
        closedCaseMonths: keepForever ? null : n,
        version: data.version,
      });
      setErrors({});
      setMessage(null);
      toast({ text: 'Retention saved', kind: 'success' });
      reload();
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      // A refusal of the one field shows beside it; anything else above the button.
      if (byField.closedCaseMonths) setMessage(null);
      else
        setMessage(
          err instanceof ApiError && err.isStale
            ? 'Someone else changed this setting; reload to see it.'
            : errorText(err),
        );
    }
  };

  return (
    <div className="privacy-settings">
      <h2>Privacy</h2>
      <form onSubmit={(e) => void save(e)} aria-label="Retention of closed cases" noValidate>
        <fieldset>
          <legend>Retention of closed cases</legend>
          <p className="hint">
            An hourly job erases closed cases, with their follow-ups and emails, this long after they were closed. The
            case keeps its number, customer and times, so counts and reports stay right. A reopened case is not erased.
          </p>
          <label className="check">
            <input type="radio" name="retention" checked={keepForever} onChange={() => setKeepForever(true)} /> Keep
            closed cases for ever
          </label>
          <label className="check">
            <input type="radio" name="retention" checked={!keepForever} onChange={() => setKeepForever(false)} /> Erase
            closed cases after a number of months
          </label>
          {!keepForever && (
            <Field
              label="Months after closing"
              type="number"
              min={1}
              max={1200}
              inputMode="numeric"
              value={months}
              error={errors.closedCaseMonths}
              onChange={(e) => setMonths(e.target.value)}
            />
          )}
        </fieldset>
        {message && (
          <p className="error" role="alert">
            {message}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
      <p className="hint">
        To answer a person&rsquo;s request, open their customer record: <em>Download all their data (zip)</em> gives
        everything held about them, and <em>Erase personal data…</em> erases it.
      </p>
    </div>
  );
}
