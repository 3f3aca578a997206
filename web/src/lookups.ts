import { useEffect, useState } from 'react';
import { api } from './api.js';
import type { CaseSettings, DirectoryUser, ListItem } from './apiTypes.js';

/** Small reference lists the console reads often, fetched once per page load. */
let directory: Promise<DirectoryUser[]> | null = null;
let caseSettings: Promise<CaseSettings> | null = null;

export const CASE_SETTINGS_PATH = '/api/v1/case-settings';

export function loadDirectory(): Promise<DirectoryUser[]> {
  directory ??= api.get<{ items: DirectoryUser[] }>('/api/v1/users/directory').then(
    (r) => r.items,
    (e) => {
      directory = null;
      throw e;
    },
  );
  return directory;
}

export function loadCaseSettings(): Promise<CaseSettings> {
  caseSettings ??= api.get<CaseSettings>(CASE_SETTINGS_PATH).catch((e) => {
    caseSettings = null;
    throw e;
  });
  return caseSettings;
}

export function forgetCaseSettings(): void {
  caseSettings = null;
}

export function labelOf(items: ListItem[] | undefined, key: string): string {
  return items?.find((i) => i.key === key)?.label ?? key;
}

/** The choices for a select: active items, plus the current value even if it was retired. */
export function choices(items: ListItem[] | undefined, current?: string): { value: string; label: string }[] {
  const list = (items ?? []).filter((i) => !i.retired || i.key === current);
  if (current && !list.some((i) => i.key === current)) list.push({ key: current, label: current, retired: true });
  return list.map((i) => ({ value: i.key, label: i.retired ? `${i.label} (retired)` : i.label }));
}

export function userName(users: DirectoryUser[] | undefined, id: string | null | undefined): string {
  if (!id) return 'Unassigned';
  return users?.find((u) => u.id === id)?.name ?? 'Unknown user';
}

/** The case lists and the user directory, for labels and selects. */
export function useCaseRefs(): { settings: CaseSettings | undefined; users: DirectoryUser[] | undefined } {
  const [settings, setSettings] = useState<CaseSettings | undefined>();
  const [users, setUsers] = useState<DirectoryUser[] | undefined>();
  useEffect(() => {
    let alive = true;
    loadCaseSettings().then(
      (s) => alive && setSettings(s),
      () => {},
    );
    loadDirectory().then(
      (u) => alive && setUsers(u),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, []);
  return { settings, users };
}
