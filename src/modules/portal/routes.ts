import type { App, AppContext } from '../../context.js';

/** Routes of the portal module (not built yet). */
export async function registerPortalRoutes(_app: App, _ctx: AppContext): Promise<void> {}
