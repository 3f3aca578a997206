import type { App, AppContext } from '../../context.js';

/** Routes of the customers module (not built yet). */
export async function registerCustomerRoutes(_app: App, _ctx: AppContext): Promise<void> {}
