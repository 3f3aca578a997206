import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { customFieldsOf, defineField, insertCustomerRow, patchField } from './cf.test-helpers.js';
import type { CustomField } from './schema.js';

/** Definitions over HTTP: shape, rules, the 64-field cap, type changes, retire/restore, delete, history. */
describe('custom field definitions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('an admin defines a field; every signed-in user reads the definitions', async () => {
    const f = await defineField(t.admin, {
      objectType: 'case',
      key: 'contractRef',
      label: 'Contract',
      helpText: 'The customer contract number',
      type: 'text',
      required: true,
      filterable: true,
    });
    expect(f).toMatchObject({
      objectType: 'case',
      key: 'contractRef',
      label: 'Contract',
      helpText: 'The customer contract number',
      type: 'text',
      options: [],
      required: true,
      default: null,
      unique: false,
      filterable: true,
      searchable: false,
      retired: false,
      version: 1,
    });
    const agent = await t.user('agent');
    const list = await agent.get('/api/v1/custom-fields?objectType=case');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: CustomField) => i.key)).toContain('contractRef');
    expect((await agent.get(`/api/v1/custom-fields/${f.id}`)).json().label).toBe('Contract');
    expect(
      (await agent.post('/api/v1/custom-fields', { objectType: 'case', key: 'x', label: 'X', type: 'text' }))
        .statusCode,
    ).toBe(403);
    expect((await agent.patch(`/api/v1/custom-fields/${f.id}`, { label: 'Y', version: 1 })).statusCode).toBe(403);
    expect((await agent.delete(`/api/v1/custom-fields/${f.id}`)).statusCode).toBe(403);
    expect((await t.anonymous.get('/api/v1/custom-fields')).statusCode).toBe(401);
    expect((await t.admin.get('/api/v1/custom-fields/not-an-id')).statusCode).toBe(404);
  });

  it('refuses bad definitions with 4xx naming the field', async () => {
    const post = (body: Record<string, unknown>) =>
      t.admin.post('/api/v1/custom-fields', { objectType: 'customer', type: 'text', label: 'L', ...body });
    const fieldOf = async (body: Record<string, unknown>) => {
      const res = await post(body);
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      return (res.json().errors as { field: string }[]).map((e) => e.field);
    };
    expect(await fieldOf({ key: 'Bad' })).toContain('key');
    expect(await fieldOf({ key: '9lives' })).toContain('key');
    expect(await fieldOf({ key: 'a'.repeat(41) })).toContain('key');
    expect(await fieldOf({ key: 'okKey', label: 'x'.repeat(33) })).toContain('label');
    expect(await fieldOf({ key: 'okKey', type: 'colour' })).toContain('type');
    expect(await fieldOf({ key: 'okKey', objectType: 'invoice' })).toContain('objectType');
    expect(await fieldOf({ key: 'okKey', type: 'singlePick' })).toContain('options');
    expect(await fieldOf({ key: 'okKey', options: [{ key: 'a', label: 'A' }] })).toContain('options');
    expect(
      await fieldOf({
        key: 'okKey',
        type: 'singlePick',
        options: [
          { key: 'a', label: 'A' },
          { key: 'a', label: 'B' },
        ],
      }),
    ).toContain('options');
    expect(await fieldOf({ key: 'okKey', objectType: 'task', unique: true })).toContain('unique');
    expect(await fieldOf({ key: 'okKey', type: 'boolean', unique: true })).toContain('unique');
    expect(await fieldOf({ key: 'okKey', unique: true, default: 'same for all' })).toContain('default');
    expect(await fieldOf({ key: 'okKey', type: 'longText', filterable: true })).toContain('filterable');
    expect(await fieldOf({ key: 'okKey', type: 'number', searchable: true })).toContain('searchable');
    expect(await fieldOf({ key: 'okKey', type: 'number', default: 'ten' })).toContain('default');
    expect(
      await fieldOf({
        key: 'okKey',
        type: 'singlePick',
        options: [{ key: 'a', label: 'A', retired: true }],
        default: 'a',
      }),
    ).toContain('default');
    expect(await fieldOf({ key: 'okKey', extra: 1 })).toContain('extra');

    await defineField(t.admin, { key: 'dupKey', label: 'Dup', type: 'text' });
    const dup = await post({ key: 'dupKey' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().errors[0].field).toBe('key');
    // The same key on another object type is fine.
    await defineField(t.admin, { objectType: 'task', key: 'dupKey', label: 'Dup', type: 'text' });
  });

  it('normalises the default like a value', async () => {
    const f = await defineField(t.admin, {
      key: 'hotline',
      label: 'Hotline',
      type: 'phone',
      default: '(415) 555-0100',
    });
    expect(f.default).toBe('+14155550100');
    const m = await defineField(t.admin, {
      key: 'channels',
      label: 'Channels',
      type: 'multiPick',
      options: [
        { key: 'sms', label: 'SMS' },
        { key: 'mail', label: 'Mail' },
      ],
      default: ['mail', 'sms', 'mail'],
    });
    expect(m.default).toEqual(['sms', 'mail']);
  });

  it('allows 64 active fields per object type; the 65th is refused, a retired one frees a place', async () => {
    const made: CustomField[] = [];
    for (let i = 0; i < 64; i++) {
      made.push(
        await defineField(t.admin, { objectType: 'followUp', key: `f${i}`, label: `Field ${i}`, type: 'text' }),
      );
    }
    const extra = { objectType: 'followUp', key: 'f64', label: 'One too many', type: 'text' };
    const refused = await t.admin.post('/api/v1/custom-fields', extra);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toMatch(/64 active/);
    // Other object types are counted on their own.
    await defineField(t.admin, { objectType: 'task', key: 'f64', label: 'Task field', type: 'text' });
    // A retired field can still be defined (it is not active) …
    const retiredOne = await defineField(t.admin, { ...extra, retired: true });
    // … but not restored while 64 are active.
    const restore = await patchField(t.admin, retiredOne, { retired: false });
    expect(restore.statusCode).toBe(409);
    const retire = await patchField(t.admin, made[0], { retired: true });
    expect(retire.statusCode).toBe(200);
    expect((await patchField(t.admin, retiredOne, { retired: false })).statusCode).toBe(200);
    const active = (await t.admin.get('/api/v1/custom-fields?objectType=followUp&retired=false')).json().items;
    expect(active).toHaveLength(64);
  });

  it('relabels and reorders safely; key and object type are immutable; versions are checked', async () => {
    const f = await defineField(t.admin, { key: 'segment', label: 'Segment', type: 'text' });
    const id = await insertCustomerRow(t.db, { segment: 'smb' });
    const res = await patchField(t.admin, f, { label: 'Market segment', order: 7, helpText: 'Sales segment' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ label: 'Market segment', order: 7, helpText: 'Sales segment', version: 2 });
    expect(await customFieldsOf(t.db, id)).toEqual({ segment: 'smb' });
    expect((await patchField(t.admin, f, { label: 'Stale' })).statusCode).toBe(409); // version 1 is stale
    expect((await t.admin.patch(`/api/v1/custom-fields/${f.id}`, { label: 'No version' })).statusCode).toBe(428);
    const key = await patchField(t.admin, { id: f.id, version: 2 }, { key: 'other' });
    expect(key.statusCode).toBe(400);
    expect(key.json().errors[0].field).toBe('key');
    const ot = await patchField(t.admin, { id: f.id, version: 2 }, { objectType: 'task' });
    expect(ot.json().errors[0].field).toBe('objectType');
    const ifMatch = await t.admin.patch(`/api/v1/custom-fields/${f.id}`, { label: 'Seg' }, { 'if-match': '"2"' });
    expect(ifMatch.statusCode).toBe(200);
  });

  it('refuses a type change once a record holds a value, allows it before', async () => {
    const f = await defineField(t.admin, { key: 'score', label: 'Score', type: 'text', filterable: true });
    const changed = await patchField(t.admin, f, { type: 'number' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().type).toBe('number');
    await insertCustomerRow(t.db, { score: 10 });
    const refused = await patchField(t.admin, changed.json(), { type: 'decimal' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0].field).toBe('type');
    expect((await t.admin.get(`/api/v1/custom-fields/${f.id}`)).json().type).toBe('number');
    // The number index works with the number (a text value would have broken the cast).
    const rows = await t.db.query(`SELECT id FROM customers WHERE (custom_fields ->> 'score')::numeric = 10`);
    expect(rows).toHaveLength(1);
  });

  it('retire and restore lose nothing', async () => {
    const f = await defineField(t.admin, { key: 'loyalty', label: 'Loyalty', type: 'number', filterable: true });
    const id = await insertCustomerRow(t.db, { loyalty: 250 });
    const retired = await patchField(t.admin, f, { retired: true });
    expect(retired.json().retired).toBe(true);
    expect(await customFieldsOf(t.db, id)).toEqual({ loyalty: 250 });
    const restored = await patchField(t.admin, retired.json(), { retired: false });
    expect(restored.json()).toMatchObject({ retired: false, type: 'number', filterable: true, label: 'Loyalty' });
    expect(await customFieldsOf(t.db, id)).toEqual({ loyalty: 250 });
  });

  it('options: relabel, retire and add; an option records hold cannot be removed', async () => {
    const f = await defineField(t.admin, {
      key: 'tier',
      label: 'Tier',
      type: 'singlePick',
      options: [
        { key: 'gold', label: 'Gold' },
        { key: 'silver', label: 'Silver' },
        { key: 'typo', label: 'Tpyo' },
      ],
    });
    await insertCustomerRow(t.db, { tier: 'silver' });
    const removeHeld = await patchField(t.admin, f, { options: [{ key: 'gold', label: 'Gold' }] });
    expect(removeHeld.statusCode).toBe(400);
    expect(removeHeld.json().errors[0]).toMatchObject({ field: 'options' });
    expect(removeHeld.json().errors[0].message).toMatch(/silver/);
    const res = await patchField(t.admin, f, {
      options: [
        { key: 'gold', label: 'Gold ★' },
        { key: 'silver', label: 'Silver', retired: true },
        { key: 'bronze', label: 'Bronze' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().options).toEqual([
      { key: 'gold', label: 'Gold ★', retired: false },
      { key: 'silver', label: 'Silver', retired: true },
      { key: 'bronze', label: 'Bronze', retired: false },
    ]);
  });

  it('deleting a field with values needs confirmation, removes the values and is recorded', async () => {
    const f = await defineField(t.admin, {
      key: 'legacyId',
      label: 'Legacy id',
      type: 'text',
      filterable: true,
      unique: true,
    });
    const id = await insertCustomerRow(t.db, { legacyId: 'L-1', segment: 'x' });
    const refused = await t.admin.delete(`/api/v1/custom-fields/${f.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0].field).toBe('confirm');
    expect((await t.admin.get(`/api/v1/custom-fields/${f.id}`)).statusCode).toBe(200);
    const done = await t.admin.delete(`/api/v1/custom-fields/${f.id}?confirm=true`);
    expect(done.statusCode).toBe(204);
    expect((await t.admin.get(`/api/v1/custom-fields/${f.id}`)).statusCode).toBe(404);
    expect(await customFieldsOf(t.db, id)).toEqual({ segment: 'x' });
    const indexes = await t.db.query(`SELECT indexname FROM pg_indexes WHERE indexname LIKE '%legacyId'`);
    expect(indexes).toEqual([]);
    const history = (await t.admin.get(`/api/v1/custom-fields/${f.id}/history`)).json().items;
    expect(history.map((h: { action: string }) => h.action)).toEqual(['delete', 'create']);
    expect(history[0].changes).toContainEqual({ field: 'recordsWithValues', from: 1, to: 0 });
    expect(history[0].actor.id).toBe(t.admin.userId);
    // The key is free again.
    await defineField(t.admin, { key: 'legacyId', label: 'Legacy id', type: 'number' });
  });

  it('a field without values is deleted without confirmation', async () => {
    const f = await defineField(t.admin, { objectType: 'task', key: 'unused', label: 'Unused', type: 'date' });
    expect((await t.admin.delete(`/api/v1/custom-fields/${f.id}`)).statusCode).toBe(204);
  });

  it('records every definition change in its history', async () => {
    const f = await defineField(t.admin, { key: 'region', label: 'Region', type: 'text' });
    const r1 = await patchField(t.admin, f, { label: 'Sales region', filterable: true });
    await patchField(t.admin, r1.json(), { retired: true });
    const items = (await t.admin.get(`/api/v1/custom-fields/${f.id}/history`)).json().items;
    expect(items.map((i: { action: string }) => i.action)).toEqual(['update', 'update', 'create']);
    expect(items[0].changes).toEqual([{ field: 'retired', from: false, to: true }]);
    expect(items[1].changes).toEqual(
      expect.arrayContaining([
        { field: 'label', from: 'Region', to: 'Sales region' },
        { field: 'filterable', from: false, to: true },
      ]),
    );
  });

  it('builds and drops the indexes as flags change', async () => {
    const names = async () =>
      (
        await t.db.query<{ indexname: string }>(
          `SELECT indexname FROM pg_indexes WHERE indexname LIKE '%\\_\\_idxprobe'`,
        )
      )
        .map((r) => r.indexname)
        .sort();
    const f = await defineField(t.admin, { key: 'idxprobe', label: 'Probe', type: 'email' });
    expect(await names()).toEqual([]);
    const on = await patchField(t.admin, f, { filterable: true, searchable: true });
    expect(await names()).toEqual(['cf__customers__idxprobe', 'cfs__customers__idxprobe']);
    const off = await patchField(t.admin, on.json(), { filterable: false });
    expect(await names()).toEqual(['cfs__customers__idxprobe']);
    await patchField(t.admin, off.json(), { searchable: false });
    expect(await names()).toEqual([]);
  });

  it('a unique flag on values that already repeat is a 409 naming unique', async () => {
    const f = await defineField(t.admin, { key: 'badge', label: 'Badge', type: 'text' });
    await insertCustomerRow(t.db, { badge: 'B1' });
    await insertCustomerRow(t.db, { badge: 'B1' });
    const res = await patchField(t.admin, f, { unique: true });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors[0].field).toBe('unique');
  });
  it('the OpenAPI document describes definitions, record values and cf.* filters', async () => {
    const res = await t.anonymous.get('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/custom-fields', '/api/v1/custom-fields/{id}']),
    );
    const created = doc.paths['/api/v1/custom-fields'].post.responses['201'].content['application/json'].schema;
    expect(Object.keys(created.properties)).toEqual(
      expect.arrayContaining(['objectType', 'key', 'label', 'type', 'options', 'required', 'default', 'unique']),
    );
    const text = JSON.stringify(doc);
    expect(text).toContain('Custom field values');
    expect(text).toContain('cf.<key>');
  });
});
