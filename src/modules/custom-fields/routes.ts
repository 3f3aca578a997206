import type { App, AppContext } from '../../context.js';

/** Routes of the custom-fields module (not built yet). */
export async function registerCustomFieldRoutes(_app: App, _ctx: AppContext): Promise<void> {}
