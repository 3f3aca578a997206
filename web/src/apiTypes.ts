/**
 * The API's request and response types, as the console sees them: every one
 * is the server's own TypeBox schema (`Static<typeof Schema>`), imported as a
 * type only (nothing of the server is bundled). A change to a schema on the
 * server changes the type here, so a console that reads a field the server no
 * longer sends, or sends one it refuses, fails `npm run typecheck`.
 *
 * Add a type by importing its schema's type from src/modules/<module>/schema.ts
 * (or the module file that declares it); never write a response shape by hand.
 * test/architecture/api-types.test.ts keeps hand-written copies out of web/src.
 */
import type { Static } from '@sinclair/typebox';
import type { Page as ServerPage } from '../../src/http/pagination.js';
import type { Problem as ProblemSchema } from '../../src/http/schemas.js';
import type { CaseSettings as CaseSettingsT } from '../../src/modules/cases/schema.js';
import type { CustomField as CustomFieldT } from '../../src/modules/custom-fields/schema.js';
import type { DuplicateCandidate as DuplicateCandidateT } from '../../src/modules/customers/duplicates.js';
import type { MergeResult as MergeResultT } from '../../src/modules/customers/merge.js';
import type { HistoryEntry as HistoryEntrySchema } from '../../src/modules/history/schema.js';
import type {
  ImportDetail as ImportDetailSchema,
  ImportView as ImportViewSchema,
  MappingView,
  PreviewAnswer,
} from '../../src/modules/imports/schema.js';
import type {
  ExportCount as ExportCountSchema,
  ExportFile as ExportFileSchema,
} from '../../src/modules/exports/routes.js';
import type { JobView as JobViewSchema } from '../../src/modules/jobs/schema.js';
import type {
  Erasure as ErasureSchema,
  ErasureRecord as ErasureRecordSchema,
  Retention as RetentionSchema,
} from '../../src/modules/privacy/schema.js';
import type {
  ConnectorSchema,
  ConnectorSettings as ConnectorSettingsSchema,
  ConnectorTestResult as ConnectorTestResultSchema,
  ConnectorWithSecret as ConnectorWithSecretSchema,
  ExternalLookup as ExternalLookupT,
} from '../../src/modules/connectors/schema.js';
import type {
  PortalAccess as PortalAccessT,
  PortalAccessSaved as PortalAccessSavedT,
} from '../../src/modules/portal/schema.js';
import type { Match, MatchCase as MatchCaseT } from '../../src/modules/interactions/schema.js';
import type {
  ApiKey as ApiKeySchema,
  DirectoryUser as DirectoryUserSchema,
  Me as MeSchema,
  RolePrivileges as RolePrivilegesSchema,
  SessionInfo as SessionInfoSchema,
} from '../../src/modules/users/schema.js';

export type { Address, AddressInput, Customer, CustomerSummary, Phone } from '../../src/modules/customers/schema.js';
export type {
  Case,
  CaseBulk,
  CaseBulkResult,
  CaseListColumn,
  CaseUnitary,
  FollowUp,
} from '../../src/modules/cases/schema.js';
export type { TagCounts } from '../../src/formats/tags.js';
export type { ActiveReminder, Task } from '../../src/modules/tasks/schema.js';
export type { Interaction, InteractionWithMatches } from '../../src/modules/interactions/schema.js';
export type { Delivery, EmailStatus, UploadedAttachment } from '../../src/modules/email/schema.js';
export type { CannedReply, RenderedCannedReply } from '../../src/modules/canned-replies/schema.js';
export type {
  CaseView,
  CaseViewCount,
  CaseViewCreate,
  CaseViewFilter,
  CaseViewPatch,
} from '../../src/modules/case-views/schema.js';
export type {
  Bucket,
  CasesReport,
  Figure,
  InteractionsReport,
  Timing,
  TasksReport,
  Wallboard,
  WorkloadReport,
} from '../../src/modules/reports/schema.js';
export type { PortalCase, PortalFollowUp } from '../../src/modules/portal/schema.js';
export type {
  FaqArticle,
  FaqArticleSummary,
  PortalFaqArticle,
  PortalFaqCategory,
  PortalFaqSummary,
} from '../../src/modules/faqs/schema.js';
export type { SearchResults } from '../../src/modules/search/schema.js';
export type { EmailPreferences, Notification } from '../../src/modules/notifications/schema.js';
import type { PortalMe as PortalMeSchema } from '../../src/modules/portal/schema.js';
/** The Support Center's signed-in customer (`GET /api/portal/me`). */
export type PortalMe = Static<typeof PortalMeSchema>;

/** A keyset page (`items`, `nextCursor`): every list. */
export type Page<T> = ServerPage<T>;
/** A problem+json error body. */
export type Problem = Static<typeof ProblemSchema>;

export type Me = Static<typeof MeSchema>;
/** A privilege name (src/http/privileges.ts). */
export type Privilege = Me['privileges'][number];
export type SessionInfo = Static<typeof SessionInfoSchema>;
export type DirectoryUser = Static<typeof DirectoryUserSchema>;
export type ApiKey = Static<typeof ApiKeySchema>;

export type CaseSettings = CaseSettingsT;
type StatusItem = CaseSettingsT['statuses'][number];
type RankItem = CaseSettingsT['priorities'][number];
/** One entry of any case settings list (statuses, priorities, severities): the fields every list has, the others optional. */
export type ListItem = Pick<StatusItem, 'key' | 'label' | 'retired'> &
  Partial<Omit<StatusItem, 'key' | 'label' | 'retired'>> &
  Partial<Omit<RankItem, 'key' | 'label' | 'retired'>>;

export type HistoryEntry = Static<typeof HistoryEntrySchema>;

/** A custom field definition (`GET /api/v1/custom-fields`). */
export type FieldDef = CustomFieldT;
export type ObjectType = CustomFieldT['objectType'];

/** A likely duplicate (POST /api/v1/customers/duplicates), with why. */
export type DuplicateCandidate = DuplicateCandidateT;
/** What POST /api/v1/customers/{id}/merge answers (also for `dryRun`). */
export type MergeResult = MergeResultT;

/** A customer an interaction matches (screen pop), with its open cases and recent interactions. */
export type InteractionMatch = Match;
export type MatchCase = MatchCaseT;

/** An import (Admin → Import) and its parts. */
export type ImportView = Static<typeof ImportViewSchema>;
export type ImportDetail = Static<typeof ImportDetailSchema>;
export type ImportRun = NonNullable<ImportView['run']>;
export type ImportObjectType = ImportView['objectType'];
export type ImportMapping = ImportDetail['suggestedMapping'];
export type PreviewRow = Static<typeof PreviewAnswer>['rows'][number];
export type SavedMapping = Static<typeof MappingView>;

/** A role's privileges (Admin → Roles). */
export type RolePrivileges = Static<typeof RolePrivilegesSchema>;
/** A customer's Support Center access (the customer record). */
export type PortalAccess = PortalAccessT;
/** The answer to saving Support Center access: whether the sign-in details were queued, and whether mail can leave. */
export type PortalAccessSaved = Static<typeof PortalAccessSavedT>;

/** A background job (`GET /api/v1/jobs`): "My downloads" lists the export ones. */
export type JobView = Static<typeof JobViewSchema>;
/** Admin → Integrations: a CRM connector (never its secret, except once when added). */
export type Connector = Static<typeof ConnectorSchema>;
export type ConnectorWithSecret = Static<typeof ConnectorWithSecretSchema>;
export type ConnectorSettings = Static<typeof ConnectorSettingsSchema>;
export type ConnectorTestResult = Static<typeof ConnectorTestResultSchema>;
/** What external CRM connectors answered for a caller (a lookup, a screen pop). */
export type ExternalLookup = ExternalLookupT;
/** A finished export kept for download (`GET /api/v1/exports/downloads`). */
export type ExportFile = Static<typeof ExportFileSchema>;
export type Erasure = Static<typeof ErasureSchema>;
export type ErasureRecord = Static<typeof ErasureRecordSchema>;
export type Retention = Static<typeof RetentionSchema>;
/** How many rows an export would hold (`GET /api/v1/exports/{object}/count`). */
export type ExportCount = Static<typeof ExportCountSchema>;
