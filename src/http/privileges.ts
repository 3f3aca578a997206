/** Per-object privileges (docs/product.md A2). Denied unless granted. */
export const PRIVILEGES = [
  'customers.view',
  'customers.create',
  'customers.edit',
  'customers.delete',
  'cases.view',
  'cases.create',
  'cases.edit',
  'cases.delete',
  'cases.addFollowUp',
  'cases.changeStatus',
  'cases.viewPrivate',
  'tasks.view',
  'tasks.create',
  'tasks.edit',
  'tasks.delete',
  'admin',
  /** Importing customers, cases and follow-ups from files (administrators by default). */
  'data.import',
  /** Reports and the wallboard (supervisors and administrators by default; docs/reports.md). */
  'reports.view',
  /** Exporting records as files (administrators by default; the object's view privilege is needed too). */
  'data.export',
  /** Webhooks and external CRM connectors (administrators by default). */
  'integrations.manage',
  /** Erasing a customer's personal data everywhere (privacy requests; administrators by default). */
  'customers.erase',
  /** Creating, changing and deleting the shared canned replies (supervisors and administrators by default). */
  'cannedReplies.manageShared',
  /** Creating, changing and deleting the shared saved case views (supervisors and administrators by default). */
  'cases.sharedViews',
  /** Writing, publishing and deleting the Support Center's FAQ articles, and reading drafts (administrators by default). */
  'faqs.manage',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export const ROLES = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export function isPrivilege(p: string): p is Privilege {
  return (PRIVILEGES as readonly string[]).includes(p);
}

/** Administrators hold every privilege whatever the role table says, so nobody can lock the system. */
export function effectivePrivileges(
  role: Role,
  rolePrivileges: readonly string[],
  userOverride: readonly string[] | null,
): Privilege[] {
  if (role === 'admin') return [...PRIVILEGES];
  const list = userOverride ?? rolePrivileges;
  return PRIVILEGES.filter((p) => list.includes(p));
}
