// Switchyard admin UI: plain DOM and ES modules, no framework, no build step, no network access
// beyond this gateway.
import { startAdminUi } from './core/app-shell.js';
import { PAGES } from './pages/registry.js';

startAdminUi(PAGES);
