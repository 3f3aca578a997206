import { Link } from '../router.js';
import { useSession } from '../session.js';
import { AdminApiKeys } from './AdminApiKeys.js';
import { AdminAudit } from './AdminAudit.js';
import { AdminCaseSettings } from './AdminCaseSettings.js';
import { AdminEmail } from './AdminEmail.js';
import { AdminFaqs } from './AdminFaqs.js';
import { AdminCustomFields } from './AdminCustomFields.js';
import { AdminRoles } from './AdminRoles.js';
import { AdminUsers } from './AdminUsers.js';
import { AdminImport } from './AdminImport.js';
import { AdminWebhooks } from './AdminWebhooks.js';
import { AdminPrivacy } from './AdminPrivacy.js';
import { AdminIntegrations } from './AdminIntegrations.js';

const SECTIONS = [
  { path: '/admin/users', label: 'Users' },
  { path: '/admin/roles', label: 'Roles and privileges' },
  { path: '/admin/api-keys', label: 'API keys' },
  { path: '/admin/custom-fields', label: 'Custom fields' },
  { path: '/admin/case-settings', label: 'Case settings' },
  { path: '/admin/email', label: 'Email' },
  { path: '/admin/faqs', label: 'FAQs' },
  { path: '/admin/audit', label: 'Audit' },
  { path: '/admin/import', label: 'Import' },
  { path: '/admin/webhooks', label: 'Webhooks' },
  { path: '/admin/integrations', label: 'Integrations' },
  { path: '/admin/privacy', label: 'Privacy' },
];

export function AdminScreen({ path }: { path: string }) {
  const { can } = useSession();
  const current = path === '/admin' ? '/admin/users' : path;
  // API keys are everybody's own; FAQs are for holders of faqs.manage too.
  if (!can('admin') && current !== '/admin/api-keys' && !(current === '/admin/faqs' && can('faqs.manage'))) {
    return (
      <section>
        <h1 tabIndex={-1}>Administration</h1>
        <p>This needs the administrator privilege.</p>
      </section>
    );
  }
  return (
    <section className="screen admin">
      <div className="screen-head">
        <h1 tabIndex={-1}>Administration</h1>
      </div>
      <nav aria-label="Administration" className="subnav">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.path}>
              <Link to={s.path} aria-current={current === s.path ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current === '/admin/users' && <AdminUsers />}
      {current === '/admin/roles' && <AdminRoles />}
      {current === '/admin/api-keys' && <AdminApiKeys />}
      {current === '/admin/custom-fields' && <AdminCustomFields />}
      {current === '/admin/case-settings' && <AdminCaseSettings />}
      {current === '/admin/email' && <AdminEmail />}
      {current === '/admin/faqs' && <AdminFaqs />}
      {current === '/admin/audit' && <AdminAudit />}
      {current === '/admin/import' && <AdminImport />}
      {current === '/admin/webhooks' && <AdminWebhooks />}
      {current === '/admin/integrations' && <AdminIntegrations />}
      {current === '/admin/privacy' && <AdminPrivacy />}
    </section>
  );
}
