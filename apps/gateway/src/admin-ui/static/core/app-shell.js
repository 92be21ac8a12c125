// The frame around the pages: one nav link and one section per registered page, the login
// page, and the hash routing between them (`#/keys`, `#/models`, …).
import { $, h } from './dom.js';
import { loginSection, wireLogout } from './login-view.js';
import { currentSession, onSessionEnd } from './session.js';
import { say } from './status-line.js';

/**
 * Starts the UI with `pages`: each `{ path, title, mount(section), show() }`. `mount` builds the
 * page's content once into its section (which holds the h1 already); `show` runs at every visit
 * and may throw an Error, whose message the status line shows. The first page is the default.
 */
export function startAdminUi(pages) {
  const nav = $('#nav');
  const main = $('#main');
  nav.prepend(...pages.map((page) => h('a', { href: `#/${page.path}`, 'data-page': page.path }, page.title)));
  main.append(
    loginSection(async () => {
      if (!location.hash) history.replaceState(null, '', '#/' + pages[0].path);
      await route();
      main.focus();
    }),
  );
  for (const page of pages) {
    const section = h(
      'section',
      { id: `page-${page.path}`, hidden: true, 'aria-labelledby': `${page.path}-title` },
      h('h1', { id: `${page.path}-title` }, page.title),
    );
    main.append(section);
    page.mount(section);
  }

  /** Shows one section (a page, or `login`) and hides the others. */
  function showSection(path, title) {
    for (const section of main.querySelectorAll('section')) section.hidden = section.id !== `page-${path}`;
    nav.hidden = path === 'login';
    for (const link of nav.querySelectorAll('a[data-page]')) {
      if (link.dataset.page === path) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${title} · Switchyard admin`;
  }

  function showLogin() {
    showSection('login', 'Log in');
    $('#login-password').focus();
  }

  async function route() {
    say('');
    if (!currentSession()) return showLogin();
    const path = location.hash.replace(/^#\//, '').split('?')[0];
    const page = pages.find((p) => p.path === path) ?? pages[0];
    showSection(page.path, page.title);
    try {
      await page.show();
    } catch (err) {
      say(err.message);
    }
  }

  wireLogout();
  onSessionEnd(showLogin);
  window.addEventListener('hashchange', route);
  route();
}
