import type { App, AppContext } from '../../context.js';

/** Routes of the cases module (not built yet). */
export async function registerCaseRoutes(_app: App, _ctx: AppContext): Promise<void> {}
