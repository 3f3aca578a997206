/**
 * Where personal data lives, table by table: what a privacy export reads and
 * what an erasure does. test/privacy-coverage.test.ts fails when a table is
 * not in PERSONAL_DATA, and when a foreign key to customers or cases is not in
 * CUSTOMER_REFERENCES (the walk would miss its rows).
 */
type Handling =
  | 'erased' // the person's values are removed or replaced; the row may stay (a pseudonymous shell)
  | 'deleted' // the person's rows are deleted
  | 'none' // holds no customer's personal data (configuration, staff, counters)
  | 'kept'; // holds some, deliberately kept: see the note

export const PERSONAL_DATA: Readonly<Record<string, { handling: Handling; note: string }>> = {
  customers: { handling: 'erased', note: 'names, company, email, notes, addresses, custom fields → a shell' },
  customer_phones: { handling: 'deleted', note: 'every number' },
  customer_terms: { handling: 'deleted', note: 'the name words no other customer has (search dictionary)' },
  cases: { handling: 'erased', note: 'subject, description, custom fields of their cases' },
  case_follow_ups: {
    handling: 'erased',
    note: 'bodies, email headers, custom fields, customer author names, notified addresses',
  },
  tasks: { handling: 'erased', note: 'subject, notes, outcome, custom fields of tasks on them or their cases' },
  interactions: {
    handling: 'erased',
    note: 'addresses, numbers, notes of their interactions and of any interaction from or to their numbers or email',
  },
  history: {
    handling: 'erased',
    note: 'the changes of their records, cases, tasks, interactions; portal/email actor names',
  },
  events: { handling: 'deleted', note: 'live-event outbox rows about them (pruned after 72 h anyway)' },
  email_messages: { handling: 'erased', note: 'sender, subject, bodies, raw message, envelope of their cases’ emails' },
  email_attachments: { handling: 'deleted', note: "attachments of their cases' emails" },
  email_uploads: { handling: 'deleted', note: 'files staff attached to notes and replies on their cases' },
  email_quarantine: { handling: 'deleted', note: 'held messages from their address or resolved into their cases' },
  email_outbox: { handling: 'erased', note: 'recipients, subject and body of mail about their cases' },
  portal_accounts: { handling: 'deleted', note: 'the Support Center account' },
  portal_sessions: { handling: 'deleted', note: 'Support Center sessions' },
  portal_reset_tokens: { handling: 'deleted', note: 'Support Center reset links' },
  portal_throttle: { handling: 'deleted', note: 'sign-in counters keyed by their email or account number' },
  import_errors: { handling: 'deleted', note: 'failed import rows naming their email, phones or account number' },
  import_claims: { handling: 'deleted', note: 'in-file claims naming their email or account number' },
  import_file_chunks: {
    handling: 'kept',
    note: 'an uploaded import file is kept only until its run ends; delete the import to drop it sooner',
  },
  export_files: { handling: 'deleted', note: 'every stored export file (any may hold them; they can be made again)' },
  export_file_chunks: { handling: 'deleted', note: 'with export_files' },
  jobs: { handling: 'kept', note: 'export and import parameters (filters) may name an account number' },
  audit_log: {
    handling: 'kept',
    note: 'append-only trail of staff actions: ids and filters, not record contents; pruned by its retention',
  },
  privacy_erasures: { handling: 'none', note: 'who erased which customer id, when and why' },
  privacy_retention: { handling: 'none', note: 'configuration' },
  privacy_case_erasures: { handling: 'none', note: 'ids, numbers and times of cases the retention erased' },
  imports: { handling: 'none', note: 'file names and a sample of rows until the run ends' },
  import_runs: { handling: 'none', note: 'counts' },
  import_mappings: { handling: 'none', note: 'column mappings' },
  // Staff, configuration and counters: no customer's personal data.
  users: { handling: 'none', note: 'staff' },
  role_privileges: { handling: 'none', note: 'configuration' },
  sessions: { handling: 'none', note: 'staff sessions' },
  api_keys: { handling: 'none', note: 'staff keys' },
  auth_throttle: { handling: 'none', note: 'staff sign-in counters' },
  signin_audit: { handling: 'none', note: 'staff sign-ins' },
  settings: { handling: 'none', note: 'configuration' },
  user_preferences: { handling: 'none', note: 'staff preferences' },
  notification_email_kinds: { handling: 'none', note: 'which notifications staff also get by email' },
  canned_replies: {
    handling: 'none',
    note: 'staff-written reply templates; placeholders are filled only when a reply is written',
  },
  case_views: {
    handling: 'kept',
    note: 'staff-saved Cases list filters; a saved search text (q) may name a customer, as the staff member typed it',
  },
  faq_articles: { handling: 'none', note: 'staff-written Support Center articles' },
  case_statuses: { handling: 'none', note: 'configuration' },
  case_priorities: { handling: 'none', note: 'configuration' },
  case_severities: { handling: 'none', note: 'configuration' },
  case_settings: { handling: 'none', note: 'configuration' },
  reminders: { handling: 'none', note: 'times of tasks' },
  events_pruned: { handling: 'none', note: 'a watermark' },
  custom_field_sets: { handling: 'none', note: 'configuration' },
  custom_fields: { handling: 'none', note: 'definitions' },
  signin_challenges: { handling: 'none', note: 'staff' },
  user_totp: { handling: 'none', note: 'staff' },
  user_recovery_codes: { handling: 'none', note: 'staff' },
  staff_password_resets: { handling: 'none', note: 'staff' },
  rate_limit_counters: { handling: 'none', note: 'counters' },
  schema_migrations: { handling: 'none', note: 'migrations applied' },
  customer_external_ids: { handling: 'deleted', note: 'their ids in other systems' },
  case_reopens: { handling: 'none', note: 'when their cases were reopened (ids and times only)' },
  case_rollups: {
    handling: 'none',
    note: 'counts of cases per quarter hour and filter values (no ids of customers or cases)',
  },
  case_rollups_coarse: {
    handling: 'none',
    note: 'counts of cases per quarter hour and one filter value (no ids of customers or cases)',
  },
  case_backlog: {
    handling: 'none',
    note: 'counts of open cases per day opened, status, priority and privacy (no ids of customers or cases)',
  },
  case_rollups_deltas: {
    handling: 'none',
    note: 'changes of case_rollups not yet folded into it: counts only (no ids of customers or cases)',
  },
  case_rollups_coarse_deltas: {
    handling: 'none',
    note: 'changes of case_rollups_coarse not yet folded into it: counts only',
  },
  case_backlog_deltas: {
    handling: 'none',
    note: 'changes of case_backlog not yet folded into it: counts only',
  },
  interaction_callers_dirty: {
    handling: 'erased',
    note: 'from numbers of interactions changed since the last repeat-callers fold (seconds): the erased ones taken off',
  },
  notifications: { handling: 'deleted', note: 'staff notices about their records (titles name a case subject)' },
  idempotency_keys: { handling: 'deleted', note: 'stored API answers (kept 24 h) that name them' },
  webhook_events: { handling: 'deleted', note: 'outgoing webhook bodies naming them (their deliveries go too)' },
  webhook_deliveries: { handling: 'deleted', note: 'with webhook_events' },
  webhook_attempts: { handling: 'deleted', note: "with webhook_events (receivers' answer excerpts)" },
  webhook_endpoints: { handling: 'none', note: 'configuration' },
  webhook_settings: { handling: 'none', note: 'configuration' },
  connectors: { handling: 'none', note: 'CRM connector configuration (no customer data)' },
  connector_settings: { handling: 'none', note: 'configuration' },
  connector_contacts: {
    handling: 'erased',
    note: "two-way sync state: a contact's id, path and ETag are kept, its last document (a vCard) is cleared; an erasure does not reach the address book or CRM itself",
  },
  connector_contact_failures: {
    handling: 'none',
    note: "a digest of the last push failure noted per contact id (the reason itself is in the customer's history)",
  },
};

/**
 * Every foreign key to customers or cases (table.column), and how the walk
 * reaches those rows: the export reads them and the erasure handles them.
 */
export const CUSTOMER_REFERENCES: readonly string[] = [
  'customer_phones.customer_id',
  'cases.customer_id',
  'tasks.customer_id',
  'tasks.case_id',
  'interactions.customer_id',
  'interactions.case_id',
  'case_follow_ups.case_id',
  'email_messages.case_id',
  'email_outbox.case_id',
  'email_uploads.case_id',
  'portal_accounts.customer_id',
  'portal_sessions.customer_id',
  'portal_reset_tokens.customer_id',
  'customer_external_ids.customer_id',
  // Ids and times only: nothing to export or erase (deleted with the case).
  'case_reopens.case_id',
];

/**
 * The columns a privacy export (docs/exporting.md, "Access") gives the customer,
 * table by table, and the columns it leaves out because they are the system's
 * own derived copies of what is exported (search words, sort and match keys),
 * never something the person gave or the staff wrote. The export names its
 * columns from here (no `SELECT *`), and test/privacy-coverage.test.ts fails
 * when a table gains a column listed in neither, so a new internal column (a
 * search word list, say) cannot slip into what the customer receives.
 */
export const EXPORT_COLUMNS = {
  customers: {
    exported: [
      'id',
      'account_number',
      'first_name',
      'last_name',
      'company',
      'email',
      'notes',
      'vip',
      'draft',
      'primary_address',
      'secondary_address',
      'custom_fields',
      'tags',
      'version',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ],
    internal: ['sort_name', 'search_name', 'name_terms', 'email_key', 'postal_key1', 'postal_key2'],
  },
  customer_phones: {
    exported: ['id', 'customer_id', 'position', 'type', 'raw', 'e164', 'extension', 'valid'],
    internal: ['digits', 'digits_rev'],
  },
  cases: {
    exported: [
      'id',
      'case_number',
      'customer_id',
      'subject',
      'description',
      'status',
      'is_open',
      'priority',
      'severity',
      'visibility',
      'owner_id',
      'channel',
      'tags',
      'opened_at',
      'closed_at',
      'first_response_at',
      'staff_responses',
      'ever_reopened',
      'custom_fields',
      'version',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ],
    internal: ['search'],
  },
  case_follow_ups: {
    exported: [
      'id',
      'seq',
      'case_id',
      'kind',
      'direction',
      'visibility',
      'body',
      'author_type',
      'author_id',
      'author_name',
      'channel',
      'email',
      'interaction',
      'notified',
      'custom_fields',
      'created_at',
    ],
    internal: ['search'],
  },
  tasks: {
    exported: [
      'id',
      'type',
      'subject',
      'notes',
      'customer_id',
      'case_id',
      'assignee_id',
      'due_at',
      'remind_at',
      'status',
      'outcome',
      'completed_at',
      'custom_fields',
      'version',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ],
    internal: ['search'],
  },
  interactions: {
    exported: [
      'id',
      'reference',
      'channel',
      'direction',
      'from_address',
      'to_address',
      'case_number_given',
      'agent_id',
      'customer_id',
      'case_id',
      'case_follow_up_id',
      'match_result',
      'matched_by',
      'candidate_ids',
      'state',
      'started_at',
      'ended_at',
      'wrap_up_until',
      'closed_at',
      'notes',
      'disposition',
      'follow_on_task_id',
      'transcript',
      'transcript_at',
      'version',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ],
    // previous_inbound_at: derived from the customer's other interactions, which are exported themselves.
    internal: ['search', 'previous_inbound_at'],
  },
  history: {
    exported: ['id', 'record_type', 'record_id', 'at', 'actor_id', 'actor_name', 'channel', 'action', 'changes'],
    internal: [],
  },
  email_messages: {
    // `raw` goes into the archive as emails/<id>.eml, not into emails.json.
    exported: [
      'id',
      'direction',
      'message_id',
      'in_reply_to',
      'case_id',
      'follow_up_id',
      'from_address',
      'subject',
      'text_body',
      'html_body',
      'envelope',
      'created_at',
      'raw',
    ],
    internal: ['dedupe_key', 'reference_ids', 'remote_images_blocked', 'unverified_sender', 'search'],
  },
} as const satisfies Record<string, { exported: readonly string[]; internal: readonly string[] }>;

/** The exported columns of a table, as a SELECT list. */
export function exportedColumns(table: keyof typeof EXPORT_COLUMNS): string {
  return EXPORT_COLUMNS[table].exported.join(', ');
}
