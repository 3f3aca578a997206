/* global document, localStorage */
// Applies the agent's chosen theme (web/src/theme.ts) before the console's first paint: a plain
// script loaded by index.html ahead of the styles, so a chosen theme never flashes the other one.
// "system" (or nothing stored) leaves <html> alone and the styles follow prefers-color-scheme.
(function () {
  try {
    var t = localStorage.getItem('switchboard.theme');
    if (t === 'light' || t === 'dark') document.documentElement.setAttribute('data-theme', t);
  } catch (e) {
    // storage refused (private mode): the system setting applies
  }
})();
