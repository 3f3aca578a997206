import { loadPreferences, savePreference } from './prefs.js';

/**
 * The console's colour theme. "system" follows the operating system's light or dark setting
 * (prefers-color-scheme, handled by the styles alone); "light" and "dark" set data-theme on
 * <html>, which the styles' color-scheme follows (web/src/base.css).
 *
 * The choice is a preference kept by the server (`theme`), so it follows the agent to any
 * browser, and is mirrored in this browser's localStorage, which web/public/theme.js reads
 * before the first paint: a chosen theme never flashes the other one while the console loads.
 */
export type Theme = 'system' | 'light' | 'dark';

export const THEME_PREFERENCE = 'theme';
const STORAGE_KEY = 'switchboard.theme';

export function isTheme(v: unknown): v is Theme {
  return v === 'system' || v === 'light' || v === 'dark';
}

/** The theme this browser shows now. */
export function currentTheme(): Theme {
  const t = document.documentElement.getAttribute('data-theme');
  return t === 'light' || t === 'dark' ? t : 'system';
}

/** Shows a theme at once and remembers it in this browser for the next first paint. */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
  try {
    if (theme === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // storage refused: the choice still holds for this page and on the server
  }
}

/** Counts the agent's choices, so a preference read begun before one never undoes it. */
let choices = 0;

/** Applies the theme saved on the server (chosen in another browser, perhaps). */
export async function syncThemeFromPreferences(): Promise<Theme> {
  const before = choices;
  const prefs = await loadPreferences();
  if (choices !== before) return currentTheme();
  const t = prefs[THEME_PREFERENCE];
  const theme = isTheme(t) ? t : 'system';
  if (theme !== currentTheme()) applyTheme(theme);
  return theme;
}

/** Applies a theme and saves it as the agent's preference. */
export async function chooseTheme(theme: Theme): Promise<void> {
  choices++;
  applyTheme(theme);
  await savePreference(THEME_PREFERENCE, theme === 'system' ? null : theme);
}
