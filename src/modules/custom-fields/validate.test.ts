import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { Invalid } from '../../http/errors.js';
import { defineField, patchField } from './cf.test-helpers.js';
import type { CustomField } from './schema.js';
import { prepareCustomFieldValidator, validateCustomFields, type ValidateOptions } from './validate.js';

/** validateCustomFields against stored definitions: every type, required, defaults, retired fields and options. */
describe('validateCustomFields', () => {
  let t: TestApp;
  const fields: Record<string, CustomField> = {};
  const run = (
    input: Record<string, unknown> | undefined,
    previous?: Record<string, unknown>,
    opts?: ValidateOptions,
    objectType: 'customer' | 'task' = 'task',
  ) => t.db.transaction((tx) => validateCustomFields(tx, objectType, input, previous, opts));
  const errorsOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      if (err instanceof Invalid) return err.errors;
      throw err;
    }
    throw new Error('accepted');
  };

  beforeAll(async () => {
    t = await startTestApp();
    const defs: Record<string, unknown>[] = [
      { key: 'title', type: 'text', label: 'Title' },
      { key: 'notes', type: 'longText', label: 'Notes' },
      { key: 'seats', type: 'number', label: 'Seats', default: 1 },
      { key: 'amount', type: 'decimal', label: 'Amount' },
      { key: 'renewal', type: 'date', label: 'Renewal' },
      { key: 'calledAt', type: 'dateTime', label: 'Called at' },
      { key: 'vipOnly', type: 'boolean', label: 'VIP only', default: false },
      {
        key: 'outcome',
        type: 'singlePick',
        label: 'Outcome',
        required: true,
        options: [
          { key: 'won', label: 'Won' },
          { key: 'lost', label: 'Lost' },
          { key: 'old', label: 'Old', retired: true },
        ],
      },
      {
        key: 'topics',
        type: 'multiPick',
        label: 'Topics',
        options: [
          { key: 'billing', label: 'Billing' },
          { key: 'tech', label: 'Tech' },
        ],
      },
      { key: 'callback', type: 'phone', label: 'Callback' },
      { key: 'cc', type: 'email', label: 'CC' },
      { key: 'site', type: 'url', label: 'Site' },
    ];
    for (const d of defs) fields[d.key as string] = await defineField(t.admin, { objectType: 'task', ...d });
  });
  afterAll(async () => t?.close());

  it('stores every type normalised, defaults applied on create', async () => {
    const out = await run({
      title: ' Renewal call ',
      notes: 'line 1\nline 2',
      amount: '1234.50',
      renewal: '2025-02-28',
      calledAt: '2025-01-15T09:30:00-05:00',
      outcome: 'won',
      topics: ['tech', 'billing'],
      callback: '415.555.0100',
      cc: 'Ops@Example.com',
      site: 'https://example.com',
    });
    expect(out).toEqual({
      title: 'Renewal call',
      notes: 'line 1\nline 2',
      seats: 1,
      amount: 1234.5,
      renewal: '2025-02-28',
      calledAt: '2025-01-15T14:30:00.000Z',
      vipOnly: false,
      outcome: 'won',
      topics: ['billing', 'tech'],
      callback: '+14155550100',
      cc: 'ops@example.com',
      site: 'https://example.com',
    });
  });

  it('names every bad field as customFields.<key>, unknown keys included', async () => {
    const errors = await errorsOf(
      run({ outcome: 'won', seats: 'many', renewal: '2025-02-30', cc: 'nope', site: 'ftp://x', mystery: 1 }),
    );
    expect(errors.map((e) => e.field).sort()).toEqual([
      'customFields.cc',
      'customFields.mystery',
      'customFields.renewal',
      'customFields.seats',
      'customFields.site',
    ]);
    expect(errors.find((e) => e.field === 'customFields.mystery')?.message).toBe('unknown field');
    await expect(run([] as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(Invalid);
  });

  it('required: enforced on create (not for drafts), cannot be cleared, not forced on unrelated edits', async () => {
    expect(await errorsOf(run({}))).toEqual([{ field: 'customFields.outcome', message: 'required' }]);
    expect(await errorsOf(run(undefined))).toEqual([{ field: 'customFields.outcome', message: 'required' }]);
    expect(await errorsOf(run({ outcome: null }))).toEqual([{ field: 'customFields.outcome', message: 'required' }]);
    expect(await run({}, undefined, { draft: true })).toEqual({ seats: 1, vipOnly: false });
    const stored = { outcome: 'lost', seats: 3 };
    expect(await errorsOf(run({ outcome: null }, stored))).toEqual([
      { field: 'customFields.outcome', message: 'required' },
    ]);
    // A record from before the field was required: an edit of another field passes…
    expect(await run({ title: 'x' }, { seats: 2 })).toEqual({ seats: 2, title: 'x' });
    // …unless every required field is asked for (a draft being completed).
    expect(await errorsOf(run({ title: 'x' }, { seats: 2 }, { requireAll: true }))).toEqual([
      { field: 'customFields.outcome', message: 'required' },
    ]);
  });

  it('update: only the keys sent change; null and "" clear; defaults are not re-applied', async () => {
    const stored = { outcome: 'won', title: 'A', notes: 'N' };
    expect(await run({ title: 'B', notes: '' }, stored)).toEqual({ outcome: 'won', title: 'B' });
    expect(await run({ title: null }, stored)).toEqual({ outcome: 'won', notes: 'N' });
    expect(await run(undefined, stored)).toEqual(stored);
    expect(await run({}, stored)).toEqual(stored);
  });

  it('a retired option: refused as a new value, kept when already held', async () => {
    expect(await errorsOf(run({ outcome: 'old' }))).toEqual([
      { field: 'customFields.outcome', message: 'option "old" is retired' },
    ]);
    expect(await run({ outcome: 'old', title: 'edited' }, { outcome: 'old' })).toEqual({
      outcome: 'old',
      title: 'edited',
    });
  });

  it('a retired field keeps its value, takes no new one, and is no longer required', async () => {
    const f = await defineField(t.admin, { objectType: 'customer', key: 'plan', label: 'Plan', type: 'text' });
    const stored = await run({ plan: 'pro' }, undefined, undefined, 'customer');
    expect(stored).toEqual({ plan: 'pro' });
    await patchField(t.admin, f, { retired: true, required: true });
    const errors = await errorsOf(run({ plan: 'basic' }, stored, undefined, 'customer'));
    expect(errors[0]).toMatchObject({ field: 'customFields.plan', message: expect.stringMatching(/retired/) });
    expect(await errorsOf(run({ plan: null }, stored, undefined, 'customer'))).toHaveLength(1);
    // Sent back unchanged (a form that echoes every value) is fine; other edits keep it.
    expect(await run({ plan: 'pro' }, stored, undefined, 'customer')).toEqual({ plan: 'pro' });
    expect(await run({}, undefined, undefined, 'customer')).toEqual({});
  });

  it('phones use the region given by the caller, else the configured default', async () => {
    const out = await run({ outcome: 'won', callback: '020 7946 0958' }, undefined, { phoneRegion: 'GB' });
    expect(out.callback).toBe('+442079460958');
    expect(await errorsOf(run({ outcome: 'won', callback: '020 7946 0958' }))).toHaveLength(1);
  });

  it('a type change applies to the next write', async () => {
    const f = await defineField(t.admin, { objectType: 'customer', key: 'size', label: 'Size', type: 'text' });
    expect(await run({ size: 'large' }, undefined, undefined, 'customer')).toEqual({ size: 'large' });
    await patchField(t.admin, f, { type: 'number' });
    expect(await errorsOf(run({ size: 'large' }, undefined, undefined, 'customer'))).toHaveLength(1);
    expect(await run({ size: '12' }, undefined, undefined, 'customer')).toEqual({ size: 12 });
  });
  it('a prepared validator applies the same rules to many records with one read of the definitions', async () => {
    const out = await t.db.transaction(async (tx) => {
      const v = await prepareCustomFieldValidator(tx, 'task');
      return [v.validate({ outcome: 'won' }), v.validate({ seats: 3 }, { outcome: 'lost' })];
    });
    expect(out).toEqual([
      { outcome: 'won', seats: 1, vipOnly: false },
      { outcome: 'lost', seats: 3 },
    ]);
    await expect(
      t.db.transaction(async (tx) => (await prepareCustomFieldValidator(tx, 'task')).validate({ seats: 'x' })),
    ).rejects.toBeInstanceOf(Invalid);
  });
});
