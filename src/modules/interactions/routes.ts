import type { App, AppContext } from '../../context.js';

/** Routes of the interactions module (not built yet). */
export async function registerInteractionRoutes(_app: App, _ctx: AppContext): Promise<void> {}
