import type { App, AppContext } from '../../context.js';

/** Routes of the tasks module (not built yet). */
export async function registerTaskRoutes(_app: App, _ctx: AppContext): Promise<void> {}
