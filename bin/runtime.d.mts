/** 'compiled' or 'source' for the checkout at `root` (see runtime.mjs). */
export function chooseRuntime(root: string, env?: NodeJS.ProcessEnv): 'compiled' | 'source';
