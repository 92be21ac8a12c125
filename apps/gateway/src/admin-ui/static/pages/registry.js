// The admin UI's pages, in the order of the bar; the first is the default. A new page is one
// module exporting `{ path, title, mount(section), show() }` (see core/app-shell.js) and one line here.
import { keysPage } from './keys/keys-page.js';
import { modelsPage } from './models/models-page.js';
import { queuesPage } from './queues-page.js';
import { usagePage } from './usage-page.js';

export const PAGES = [keysPage, modelsPage, usagePage, queuesPage];
