import { api } from './api.js';
import type { ActiveReminder, Task } from './apiTypes.js';

/** The tasks module's paths, in one place. */
export const tasksApi = {
  create: (body: Record<string, unknown>) => api.post<Task>('/api/v1/tasks', body),
  update: (t: Task, body: Record<string, unknown>) => api.patch<Task>(`/api/v1/tasks/${t.id}`, body, t.version),
  activeReminders: () => api.get<{ items: ActiveReminder[] }>('/api/v1/reminders').then((r) => r.items),
  snooze: (taskId: string, minutes: number) =>
    api.post<unknown>(`/api/v1/tasks/${taskId}/reminders/snooze`, { minutes }),
  dismiss: (taskId: string) => api.post<unknown>(`/api/v1/tasks/${taskId}/reminders/dismiss`, {}),
};

export const TASK_TYPES = [
  { value: 'call', label: 'Call' },
  { value: 'email', label: 'Email' },
  { value: 'meeting', label: 'Meeting' },
  { value: 'chat', label: 'Chat' },
  { value: 'other', label: 'Other' },
];

export const timeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
