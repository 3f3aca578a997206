import type { App, AppContext } from '../../context.js';

/** Routes of the email module (not built yet). */
export async function registerEmailRoutes(_app: App, _ctx: AppContext): Promise<void> {}
