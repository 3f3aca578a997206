import type { Db, Queryable } from '../../db/adapter.js';
import { emitEvent } from '../../events/outbox.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, type FieldError } from '../../http/errors.js';
import { recordAudit } from '../audit/service.js';
import { diffFields, recordHistory } from '../history/service.js';
import type { CaseSettings, CaseSettingsPut, ReopenPolicy } from './schema.js';
import * as settings from './settings-store.js';
import { caseKeyInUse, setOpenCategory } from './store.js';

type ReopenRule = CaseSettings['reopen'];

const DAY_MS = 86_400_000;

/**
 * K6: does new customer-side activity reopen this case? Open cases need no
 * reopening; closed ones per the policy: never, always, or within N days of
 * being closed.
 */
export function reopenDecision(
  rule: ReopenRule,
  c: { isOpen: boolean; closedAt: Date | string | null },
  now: Date = new Date(),
): boolean {
  if (c.isOpen) return false;
  if (rule.policy === 'never') return false;
  if (rule.policy === 'always') return true;
  if (!c.closedAt) return true;
  const closed = typeof c.closedAt === 'string' ? Date.parse(c.closedAt) : c.closedAt.getTime();
  return now.getTime() - closed <= (rule.days ?? 0) * DAY_MS;
}

/** The administrator's case settings: statuses, priorities, severities, reopen policy, the form's default visibility. */
export class CaseSettingsService {
  constructor(private readonly db: Db) {}

  /** Anyone signed in reads the lists (forms and filters need them). */
  async get(_actor: Actor, tx?: Queryable): Promise<CaseSettings> {
    return settings.loadSettings(tx ?? this.db);
  }

  /** Would new customer-side activity now reopen this case? */
  async shouldReopen(c: { isOpen: boolean; closedAt: Date | string | null }, tx?: Queryable) {
    if (c.isOpen) return false;
    return reopenDecision(await settings.loadReopenPolicy(tx ?? this.db), c);
  }

  async put(actor: Actor, input: CaseSettingsPut, expectedVersion: number | null): Promise<CaseSettings> {
    requirePrivilege(actor, 'admin');
    validate(input);
    return this.db.transaction(async (tx) => {
      const before = await settings.loadSettings(tx, true);
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(before);

      if (input.statuses) {
        const keep = new Set(input.statuses.map((s) => s.key));
        for (const old of before.statuses) {
          if (keep.has(old.key)) continue;
          if (await caseKeyInUse(tx, 'status', old.key)) throw inUse('statuses', old.key);
          await settings.deleteStatus(tx, old.key);
        }
        for (const [i, s] of input.statuses.entries()) {
          await settings.upsertStatus(tx, {
            key: s.key,
            label: s.label,
            position: i + 1,
            isOpen: s.isOpen,
            retired: s.retired ?? false,
          });
          const was = before.statuses.find((o) => o.key === s.key);
          if (was && was.isOpen !== s.isOpen) await setOpenCategory(tx, s.key, s.isOpen);
        }
      }
      for (const [field, table, column] of [
        ['priorities', 'case_priorities', 'priority'],
        ['severities', 'case_severities', 'severity'],
      ] as const) {
        const items = input[field];
        if (!items) continue;
        const keep = new Set(items.map((s) => s.key));
        for (const old of before[field]) {
          if (keep.has(old.key)) continue;
          if (await caseKeyInUse(tx, column, old.key)) throw inUse(field, old.key);
          await settings.deleteRank(tx, table, old.key);
        }
        const def = items.find((i) => i.isDefault) ?? items.find((i) => !i.retired)!;
        await settings.upsertRanks(
          tx,
          table,
          items.map((s, i) => ({
            key: s.key,
            label: s.label,
            position: i + 1,
            isDefault: s === def,
            retired: s.retired ?? false,
          })),
        );
      }
      const reopen = input.reopen
        ? { policy: input.reopen.policy, days: input.reopen.policy === 'withinDays' ? input.reopen.days! : null }
        : before.reopen;
      await settings.updatePolicy(tx, reopen, input.defaultVisibility ?? before.defaultVisibility);
      const after = await settings.loadSettings(tx);
      const changes = diffFields(flatten(before), flatten(after));
      await recordHistory(tx, actor, { recordType: 'caseSettings', recordId: null, action: 'update', changes });
      await recordAudit(tx, actor, {
        action: 'settings.changed',
        targetType: 'settings',
        targetId: 'cases',
        details: { changes },
      });
      await emitEvent(tx, {
        type: 'record.changed',
        recordType: 'caseSettings',
        payload: { action: 'update', version: after.version },
        requires: 'cases.view',
      });
      return after;
    });
  }
}

function inUse(field: string, key: string): Conflict {
  const message = `"${key}" is used by cases; mark it retired instead of removing it`;
  return new Conflict(message, { errors: [{ field, message }] });
}

function flatten(s: CaseSettings): Record<string, unknown> {
  const list = (items: { key: string }[]) => Object.fromEntries(items.map((i) => [i.key, { ...i, key: undefined }]));
  return {
    statuses: list(s.statuses),
    priorities: list(s.priorities),
    severities: list(s.severities),
    reopen: s.reopen,
    defaultVisibility: s.defaultVisibility,
  };
}

function validate(input: CaseSettingsPut): void {
  const errors: FieldError[] = [];
  const unique = (field: string, keys: string[]) => {
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k)) errors.push({ field, message: `"${k}" appears twice` });
      seen.add(k);
    }
  };
  if (input.statuses) {
    unique(
      'statuses',
      input.statuses.map((s) => s.key),
    );
    const open = input.statuses.find((s) => s.key === 'open');
    const closed = input.statuses.find((s) => s.key === 'closed');
    if (!open || !open.isOpen || open.retired) {
      errors.push({ field: 'statuses', message: '"open" must stay, open-like and not retired' });
    }
    if (!closed || closed.isOpen || closed.retired) {
      errors.push({ field: 'statuses', message: '"closed" must stay, closed-like and not retired' });
    }
  }
  for (const field of ['priorities', 'severities'] as const) {
    const items = input[field];
    if (!items) continue;
    unique(
      field,
      items.map((s) => s.key),
    );
    const defaults = items.filter((i) => i.isDefault);
    if (defaults.length > 1) errors.push({ field, message: 'only one item can be the default' });
    if (defaults.some((d) => d.retired)) errors.push({ field, message: 'the default cannot be retired' });
    if (!items.some((i) => !i.retired)) errors.push({ field, message: 'at least one item must not be retired' });
  }
  const r: ReopenPolicy | undefined = input.reopen;
  if (r && r.policy === 'withinDays' && (r.days === undefined || r.days === null)) {
    errors.push({ field: 'reopen.days', message: 'required for withinDays' });
  }
  if (errors.length) throw new Invalid(errors);
}
