// `/problems`: what is wrong with which corpus file (bad front matter,
// invalid UTF-8, oversized files...). The rest of each file is still served.

import * as api from './api.js';
import { encodeId, h, replace } from './dom.js';
import { t } from './i18n.js';

/** Mounts the problems page. */
export function problemsView(root) {
  const controller = new AbortController();
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('loadingPage')));
  replace(root, h('section', { class: 'page' }, h('h1', null, t('problemsTitle')), h('p', { class: 'lead' }, t('problemsIntro')), body));
  document.title = `${t('problemsTitle')} · baton`;
  api.problems({ signal: controller.signal }).then((r) => {
    body.removeAttribute('aria-busy');
    const list = r.problems || [];
    if (!list.length) { replace(body, h('p', { class: 'ok' }, `✓ ${t('noProblems')}`)); return; }
    replace(body, h('table', { class: 'grid' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('path')), h('th', { scope: 'col' }, t('severity')),
        h('th', { scope: 'col' }, 'code'), h('th', { scope: 'col' }, ''))),
      h('tbody', null, list.map((p) => h('tr', null,
        h('td', null, /\.(md|markdown)$/i.test(p.path) ? h('a', { href: `/doc/${encodeId(p.path)}` }, p.path) : p.path,
          p.line ? h('span', { class: 'muted' }, ` ${t('line', { n: p.line })}`) : null),
        h('td', null, h('span', { class: `sev sev-${p.severity}` }, p.severity === 'error' ? t('severityError') : t('severityWarning'))),
        h('td', null, h('code', null, p.code)),
        h('td', null, p.message))))));
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    replace(body, h('p', { class: 'error' }, e.message));
  });
  return { destroy: () => controller.abort() };
}
