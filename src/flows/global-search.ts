import { type Actor, can } from '../http/actor.js';
import { Invalid } from '../http/errors.js';
import { searchWords } from '../formats/search-text.js';
import type { CasesService } from '../modules/cases/service.js';
import type { CustomersService } from '../modules/customers/service.js';
import type { EmailService } from '../modules/email/service.js';
import type { InteractionsService } from '../modules/interactions/service.js';
import { SEARCH_LIMIT, type SearchResults } from '../modules/search/schema.js';
import type { TasksService } from '../modules/tasks/service.js';

interface GlobalSearchDeps {
  customers: CustomersService;
  cases: CasesService;
  email: EmailService;
  tasks: TasksService;
  interactions: InteractionsService;
}

type Group = SearchResults['groups'][number];

/**
 * One search box across the product (GET /api/v1/search; docs/agent-workflow.md, "Global
 * search"). Reads only, each module through its service with the caller's access: a group
 * per type the caller may view (customers.view: customers and interactions; cases.view:
 * cases; tasks.view: tasks), each ranked by its module and cut to `limit`. Email messages
 * are found by the email module and shown by the cases module, which keeps only those on
 * cases and follow-ups the caller may see.
 */
export class GlobalSearchFlow {
  constructor(private readonly deps: GlobalSearchDeps) {}

  async search(actor: Actor, query: { q: string; limit?: number }): Promise<SearchResults> {
    const text = query.q.trim();
    const words = searchWords(text);
    if (words.length === 0) {
      throw new Invalid([{ field: 'q', message: 'Type a word, a name or a number to search for.' }]);
    }
    const limit = Math.min(Math.max(query.limit ?? SEARCH_LIMIT.default, 1), SEARCH_LIMIT.max);
    // Candidates per branch: some are left out for access (private cases) or merged (one case, many follow-ups).
    const cap = Math.max(20, limit * 4);
    const args = { text, words, limit, cap };
    const groups = await Promise.all([
      can(actor, 'customers.view') ? this.customers(actor, args) : null,
      can(actor, 'cases.view') ? this.cases(actor, args) : null,
      can(actor, 'tasks.view') ? this.tasks(actor, args) : null,
      can(actor, 'customers.view') ? this.interactions(actor, args) : null,
    ]);
    return { q: text, groups: groups.filter((g): g is Group => g !== null) };
  }

  private async customers(actor: Actor, a: { text: string; limit: number }): Promise<Group> {
    const page = await this.deps.customers.list(actor, { q: a.text, limit: a.limit });
    return {
      type: 'customers',
      items: page.items.map((c) => ({
        id: c.id,
        title: c.displayName,
        snippet: [c.accountNumber, c.company !== c.displayName ? c.company : null, c.email, c.phones[0]?.number]
          .filter((s): s is string => !!s)
          .join(' · '),
        link: `/customers/${c.id}`,
        matchedIn: 'customer',
      })),
    };
  }

  private async cases(actor: Actor, a: { text: string; words: string[]; limit: number; cap: number }): Promise<Group> {
    const messages = await this.deps.email.searchMessages(actor, a);
    const hits = await this.deps.cases.search(actor, a, messages);
    return {
      type: 'cases',
      items: hits.map((c) => ({
        id: c.id,
        title: `#${c.caseNumber} ${c.subject}`,
        snippet: c.matchedIn === 'subject' || c.matchedIn === 'number' ? '' : c.snippet,
        link: `/cases/${c.id}`,
        matchedIn: c.matchedIn,
      })),
    };
  }

  private async tasks(actor: Actor, a: { text: string; words: string[]; limit: number; cap: number }): Promise<Group> {
    const hits = await this.deps.tasks.search(actor, a);
    return {
      type: 'tasks',
      items: hits.map((t) => ({
        id: t.id,
        title: t.subject,
        snippet: t.snippet,
        link: t.caseId && can(actor, 'cases.view') ? `/cases/${t.caseId}` : `/customers/${t.customerId}?tab=tasks`,
        matchedIn: 'task',
      })),
    };
  }

  private async interactions(
    actor: Actor,
    a: { text: string; words: string[]; limit: number; cap: number },
  ): Promise<Group> {
    const hits = await this.deps.interactions.search(actor, a);
    return {
      type: 'interactions',
      items: hits.map((i) => {
        const who = i.direction === 'inbound' ? `from ${i.from ?? 'unknown'}` : `to ${i.to ?? 'unknown'}`;
        return {
          id: i.id,
          title: `${i.direction === 'inbound' ? 'Inbound' : 'Outbound'} ${i.channel} ${who}`,
          snippet: i.snippet || i.startedAt.slice(0, 16).replace('T', ' '),
          link: i.customerId
            ? `/customers/${i.customerId}?tab=interactions`
            : i.caseId && can(actor, 'cases.view')
              ? `/cases/${i.caseId}`
              : '/customers',
          matchedIn: i.matchedIn,
        };
      }),
    };
  }
}
