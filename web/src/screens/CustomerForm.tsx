import { FIELD_LIMITS } from '../fieldLimits.js';
import { useId, type ReactNode } from 'react';
import { Field, TextArea } from '../components/Field.js';
import { CustomFieldInputs, type FieldDef } from '../customFields.js';
import { humanize } from '../format.js';
import { PHONE_TYPES, type AddressForm, type CustomerFormValue } from './customerModel.js';

/** Field errors whose key the form has no input for (shown in a list above the buttons). */
export function unclaimedErrors(errors: Record<string, string>): Record<string, string> {
  const known =
    /^(firstName|lastName|company|email|notes|vip|phones(\.\d+(\.\w+)?)?|(primary|secondary)Address(\.\w+)?|customFields\.\w+)$/;
  const out: Record<string, string> = {};
  for (const [k, m] of Object.entries(errors)) if (!known.test(k)) out[humanize(k)] = m;
  return out;
}

function AddressFields({
  legend,
  name,
  value,
  onChange,
  errors,
}: {
  legend: string;
  name: 'primaryAddress' | 'secondaryAddress';
  value: AddressForm;
  onChange: (a: AddressForm) => void;
  errors: Record<string, string>;
}) {
  const set = (k: keyof AddressForm) => (e: { target: { value: string } }) =>
    onChange({ ...value, [k]: e.target.value });
  const err = (k: string) => errors[`${name}.${k}`] ?? (k === 'street' ? errors[name] : undefined);
  return (
    <fieldset className="address">
      <legend>{legend}</legend>
      <Field
        label="Street"
        name={`${name}.street`}
        maxLength={FIELD_LIMITS.address.street.maxLength}
        value={value.street}
        onChange={set('street')}
        error={err('street')}
      />
      <div className="row">
        <Field
          label="City"
          name={`${name}.city`}
          maxLength={FIELD_LIMITS.address.city.maxLength}
          value={value.city}
          onChange={set('city')}
          error={err('city')}
        />
        <Field
          label="Region"
          name={`${name}.region`}
          maxLength={FIELD_LIMITS.address.region.maxLength}
          value={value.region}
          onChange={set('region')}
          error={err('region')}
        />
      </div>
      <div className="row">
        <Field
          label="Postal code"
          name={`${name}.postalCode`}
          maxLength={FIELD_LIMITS.address.postalCode.maxLength}
          value={value.postalCode}
          onChange={set('postalCode')}
          error={err('postalCode')}
        />
        <Field
          label="Country"
          name={`${name}.country`}
          maxLength={FIELD_LIMITS.address.country.maxLength}
          value={value.country}
          onChange={set('country')}
          error={err('country')}
        />
      </div>
    </fieldset>
  );
}

export function CustomerForm({
  value,
  onChange,
  errors,
  emailNote,
  defs,
}: {
  defs: FieldDef[];
  value: CustomerFormValue;
  onChange: (v: CustomerFormValue) => void;
  errors: Record<string, string>;
  /** Extra content under the email error (a link to the customer already using it). */
  emailNote?: ReactNode;
}) {
  const id = useId();
  const set = <K extends keyof CustomerFormValue>(k: K, x: CustomerFormValue[K]) => onChange({ ...value, [k]: x });
  const setPhone = (i: number, p: Partial<{ type: string; number: string }>) =>
    set(
      'phones',
      value.phones.map((ph, j) => (j === i ? { ...ph, ...p } : ph)),
    );
  return (
    <div className="customer-form">
      <div className="row">
        <Field
          label="First name"
          name="firstName"
          maxLength={FIELD_LIMITS.customer.firstName.maxLength}
          autoComplete="off"
          aria-required="true"
          value={value.firstName}
          onChange={(e) => set('firstName', e.target.value)}
          error={errors.firstName}
        />
        <Field
          label="Last name"
          name="lastName"
          maxLength={FIELD_LIMITS.customer.lastName.maxLength}
          autoComplete="off"
          aria-required="true"
          value={value.lastName}
          onChange={(e) => set('lastName', e.target.value)}
          error={errors.lastName}
        />
      </div>
      <div className="row">
        <Field
          label="Company"
          name="company"
          maxLength={FIELD_LIMITS.customer.company.maxLength}
          autoComplete="off"
          value={value.company}
          onChange={(e) => set('company', e.target.value)}
          error={errors.company}
        />
        <Field
          label="Email"
          name="email"
          maxLength={FIELD_LIMITS.customer.email.maxLength}
          type="email"
          autoComplete="off"
          value={value.email}
          onChange={(e) => set('email', e.target.value)}
          error={errors.email}
          hint={errors.email ? emailNote : undefined}
        />
      </div>
      <fieldset className="phones">
        <legend>Phone numbers</legend>
        {errors.phones && (
          <p className="error" role="alert">
            {errors.phones}
          </p>
        )}
        {value.phones.map((p, i) => (
          <div className="row phone-row" key={i}>
            <div className="field narrow">
              <label htmlFor={`${id}-ptype-${i}`}>Type of phone {i + 1}</label>
              <select id={`${id}-ptype-${i}`} value={p.type} onChange={(e) => setPhone(i, { type: e.target.value })}>
                {PHONE_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </div>
            <Field
              label={`Phone ${i + 1}`}
              name={`phones.${i}.number`}
              maxLength={FIELD_LIMITS.phone.number.maxLength}
              type="tel"
              value={p.number}
              onChange={(e) => setPhone(i, { number: e.target.value })}
              error={errors[`phones.${i}.number`] ?? errors[`phones.${i}`] ?? errors[`phones.${i}.type`]}
            />
            <button
              type="button"
              className="icon remove"
              aria-label={`Remove phone ${i + 1}`}
              onClick={() =>
                set(
                  'phones',
                  value.phones.filter((_, j) => j !== i),
                )
              }
            >
              ×
            </button>
          </div>
        ))}
        <button type="button" onClick={() => set('phones', [...value.phones, { type: 'mobile', number: '' }])}>
          Add phone
        </button>
      </fieldset>
      <AddressFields
        legend="Primary address"
        name="primaryAddress"
        value={value.primaryAddress}
        onChange={(a) => set('primaryAddress', a)}
        errors={errors}
      />
      <details className="secondary-address">
        <summary>Secondary address</summary>
        <AddressFields
          legend="Secondary address"
          name="secondaryAddress"
          value={value.secondaryAddress}
          onChange={(a) => set('secondaryAddress', a)}
          errors={errors}
        />
      </details>
      <TextArea
        label="Notes"
        name="notes"
        maxLength={FIELD_LIMITS.customer.notes.maxLength}
        rows={3}
        value={value.notes}
        onChange={(e) => set('notes', e.target.value)}
        error={errors.notes}
      />
      <CustomFieldInputs
        defs={defs}
        value={value.customFields ?? {}}
        onChange={(cf) => set('customFields', cf)}
        errors={errors}
      />
      <label className="check">
        <input type="checkbox" checked={value.vip} onChange={(e) => set('vip', e.target.checked)} /> VIP customer
      </label>
    </div>
  );
}
