/* The coverage dashboard: plain JavaScript, no framework, nothing from elsewhere.
 *
 * It reads GET /v1/stats (the bars), GET /v1/coverage?min= (the gaps) and
 * GET /v1/proposals?category= (the list), all with the same call/track/status
 * filter, and with two or more calls GET /v1/coverage?call=A,B (each node's count
 * per call side by side, the nodes under the threshold in every call marked), and lets the secretariat correct a proposal with PATCH /v1/proposals/{id}.
 * Every text from the server goes into the page through textContent, never as
 * markup; the page runs under a CSP of default-src 'self'. */
'use strict';

(function () {
  const TOKEN_KEY = 'stdtaxd.admin-token';
  const PAGE = 50;

  /* doc/proposals.md: the statuses and where each may move. */
  const STATUSES = [
    ['submitted', '已提交', 'Submitted'],
    ['under-review', '评审中', 'Under review'],
    ['recommended-local', '推荐地标', 'Recommended: local standard'],
    ['recommended-group', '推荐团标', 'Recommended: group standard'],
    ['rejected', '未入选', 'Not selected'],
    ['withdrawn', '已撤回', 'Withdrawn'],
  ];
  const TRACKS = { local: ['上海地方标准', 'Shanghai local standard'],
                   group: ['团体标准', 'Group standard'] };

  const state = {
    lang: 'zh',
    stats: null,
    coverage: null,
    calls: [],            /* GET /v1/calls: every call of the taxonomy */
    comparison: null,     /* GET /v1/coverage?call=A,B with every call */
    nodes: new Map(),     /* code -> {code, parent, labels} from the stats */
    gaps: new Map(),      /* code -> gap */
    expanded: new Set(),
    selected: null,       /* node code whose proposals are listed */
    cursor: null,
    loading: 0,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  /* ---- labels: Chinese first, the other language on hover ------------------ */

  function pick(labels, fallback) {
    if (!labels) return { main: fallback || '', other: '' };
    if (typeof labels === 'string') return { main: labels, other: '' };
    const zh = labels.zh || labels.en || fallback || '';
    const en = labels.en || labels.zh || fallback || '';
    return state.lang === 'zh' ? { main: zh, other: en } : { main: en, other: zh };
  }

  /* A span showing a label, with the other language as its title. */
  function labelSpan(labels, fallback, cls) {
    const l = pick(labels, fallback);
    return el('span', { class: cls, text: l.main, title: l.other && l.other !== l.main ? l.other : null,
                        lang: state.lang === 'zh' ? 'zh-CN' : 'en' });
  }

  function statusLabels(code) {
    const s = STATUSES.find((x) => x[0] === code);
    return s ? { zh: s[1], en: s[2] } : { zh: code, en: code };
  }

  function nodeLabels(code) {
    const n = state.nodes.get(code);
    return n ? n.labels : { zh: code, en: code };
  }

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    for (const e of document.querySelectorAll('[data-zh]')) {
      const other = state.lang === 'zh' ? e.dataset.en : e.dataset.zh;
      e.textContent = state.lang === 'zh' ? e.dataset.zh : e.dataset.en;
      if (other) e.title = other;
    }
    const b = $('lang');
    b.textContent = state.lang === 'zh' ? 'English' : '中文';
    b.title = state.lang === 'zh' ? 'Show English labels' : '显示中文标签';
    b.setAttribute('aria-pressed', state.lang === 'en' ? 'true' : 'false');
  }

  /* ---- talking to the API --------------------------------------------------- */

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function say(text, bad) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('bad', !!bad);
  }

  async function api(method, path, body) {
    /* Problems come back in the language the dashboard shows (doc/http-errors.md). */
    const headers = { Accept: 'application/json',
                      'Accept-Language': state.lang === 'zh' ? 'zh-CN' : 'en' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    state.loading++;
    document.body.setAttribute('aria-busy', 'true');
    try {
      const r = await fetch(path, { method, headers, cache: 'no-store',
                                    body: body === undefined ? undefined : JSON.stringify(body) });
      const type = r.headers.get('Content-Type') || '';
      const data = type.includes('json') ? await r.json() : await r.text();
      if (!r.ok) {
        /* A validation problem names each bad field; its details say more than the
         * summary in "detail". */
        const detail = data && typeof data === 'object'
          ? (Array.isArray(data.errors) && data.errors.length
            ? data.errors.map((e) => e.detail || e.pointer).join('; ')
            : data.detail || data.title)
          : String(data);
        const err = new Error(r.status + ' ' + detail);
        err.status = r.status;
        throw err;
      }
      return data;
    } finally {
      if (--state.loading === 0) document.body.removeAttribute('aria-busy');
    }
  }

  function filter() {
    const f = {};
    for (const k of ['call', 'track', 'status']) {
      const v = $('f-' + k).value;
      if (v) f[k] = v;
    }
    return f;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? '?' + s : '';
  }

  function minValue() {
    const n = parseInt($('f-min').value, 10);
    return Number.isFinite(n) && n >= 0 ? n : 1;
  }

  /* ---- shapes: tolerate a list of {code,count} or a {code: count} map ------ */

  function entries(x, key) {
    if (Array.isArray(x)) return x.map((e) => ({ code: e[key || 'code'] ?? e.id ?? e.code, count: e.count ?? 0,
                                                labels: e.labels || (e.label ? { zh: e.label, en: e.label } : null) }));
    if (x && typeof x === 'object') return Object.entries(x).map(([code, v]) => ({ code, count: typeof v === 'number' ? v : (v && v.count) || 0 }));
    return [];
  }

  function codeOf(x) {
    if (!x) return null;
    return typeof x === 'string' ? x : x.code || null;
  }

  /* ---- filters ----------------------------------------------------------------- */

  function fillSelect(sel, items, labelsOf) {
    const keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    for (const it of items) {
      const l = pick(labelsOf(it), it.code);
      const o = el('option', { value: it.code, text: l.main, title: l.other || null });
      sel.append(o);
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }

  function fillFilters(stats) {
    /* Options come from the unfiltered view's lists, so a choice never removes
     * the others. */
    /* Every call of the taxonomy, also one without proposals yet. */
    const calls = state.calls.length ? state.calls.map((c) => ({ code: c.id, labels: c.title }))
      : entries(stats.calls, 'id');
    fillSelect($('f-call'), calls, (c) => ({ zh: c.code, en: c.code }));
    let tracks = entries(stats.tracks);
    if (!tracks.length) tracks = Object.keys(TRACKS).map((code) => ({ code }));
    fillSelect($('f-track'), tracks, (t) => t.labels || (TRACKS[t.code] ? { zh: TRACKS[t.code][0], en: TRACKS[t.code][1] } : null));
    fillSelect($('f-status'), STATUSES.map((s) => ({ code: s[0] })), (s) => statusLabels(s.code));
  }

  function updateCsv() {
    const p = Object.assign({ format: 'csv' }, filter());
    if (state.selected) p.category = state.selected;
    $('csv').href = '/v1/proposals' + query(p);
  }

  /* ---- the chart ---------------------------------------------------------------- */

  function indexNodes(stats) {
    state.nodes.clear();
    for (const c of stats.categories || []) {
      state.nodes.set(c.code, { code: c.code, parent: null, labels: c.labels });
      for (const s of c.subcategories || []) state.nodes.set(s.code, { code: s.code, parent: c.code, labels: s.labels });
    }
  }

  /* A closed category still tells how many of its subcategories are gaps. */
  function subGaps(subs) {
    const n = subs.filter((s) => state.gaps.has(s.code)).length;
    if (!n) return null;
    const text = state.lang === 'zh' ? n + ' 个子类缺口' : n + ' subcategory gaps';
    return el('span', { class: 'sub-gaps', text: String(n), title: text, 'aria-label': text });
  }

  function bar(node, count, max, depth) {
    const gap = state.gaps.get(node.code);
    const pct = max > 0 ? (100 * count) / max : 0;
    const subs = depth === 0 ? node.subcategories || [] : [];
    const open = state.expanded.has(node.code);
    const fill = el('span', { class: 'fill' });
    fill.style.width = pct.toFixed(2) + '%';
    const name = el('button', {
      type: 'button', class: 'name',
      'aria-expanded': subs.length ? String(open) : null,
      'aria-controls': subs.length ? 'subs-' + node.code : null,
      onclick: () => (subs.length ? toggle(node.code) : select(node.code)),
    }, el('span', { class: 'twisty', 'aria-hidden': 'true', text: subs.length ? (open ? '▾' : '▸') : '' }),
       labelSpan(node.labels, node.code),
       gap ? el('span', { class: 'gap-mark', title: state.lang === 'zh' ? '缺口' : 'gap', text: '▲',
                          'aria-label': state.lang === 'zh' ? '缺口' : 'gap' }) : null,
       subGaps(subs));
    const countBtn = el('button', {
      type: 'button', class: 'count',
      'aria-label': (state.lang === 'zh' ? '查看提案：' : 'List proposals: ') + pick(node.labels, node.code).main + ' ' + count,
      'aria-pressed': state.selected === node.code ? 'true' : 'false',
      onclick: () => select(node.code),
      text: String(count),
    });
    const row = el('div', { class: 'row' }, name,
                   el('span', { class: 'track', 'aria-hidden': 'true' }, fill), countBtn);
    const li = el('li', {
      class: 'bar depth-' + depth + (gap ? ' is-gap' : '') + (state.selected === node.code ? ' selected' : ''),
      'data-code': node.code, 'data-count': String(count),
    }, row);
    if (subs.length) {
      const ul = el('ul', { class: 'subs', id: 'subs-' + node.code });
      ul.hidden = !open;
      for (const s of subs) ul.append(bar(s, s.count || 0, max, 1));
      li.append(ul);
    }
    return li;
  }

  function drawChart() {
    const stats = state.stats;
    const ul = $('bars');
    ul.replaceChildren();
    if (!stats) return;
    const cats = stats.categories || [];
    const max = Math.max(1, ...cats.map((c) => c.count || 0));
    for (const c of cats) ul.append(bar(c, c.count || 0, max, 0));
    $('total').textContent = String(stats.total ?? 0);
    const v = stats.taxonomy_version ? 'taxonomy ' + stats.taxonomy_version : '';
    $('taxonomy-version').textContent = v;
  }

  function toggle(code) {
    if (state.expanded.has(code)) state.expanded.delete(code);
    else state.expanded.add(code);
    drawChart();
    const b = document.querySelector('li[data-code="' + CSS.escape(code) + '"] > .row > .name');
    if (b) b.focus();
  }

  /* ---- gaps ------------------------------------------------------------------------ */

  function drawGaps() {
    const ul = $('gap-list');
    ul.replaceChildren();
    const gaps = (state.coverage && state.coverage.gaps) || [];
    $('gap-count').textContent = String(gaps.length);
    const min = state.coverage ? state.coverage.min : minValue();
    $('gap-hint').textContent = state.lang === 'zh'
      ? '提案少于 ' + min + ' 项的类别、子类和立项重点。'
      : 'Nodes and priority topics with fewer than ' + min + ' proposals.';
    for (const g of gaps) {
      const topic = g.kind === 'topic' || g.kind === 'priority-topic' || g.priority === true;
      const kind = topic ? (state.lang === 'zh' ? '立项重点' : 'priority topic')
        : state.nodes.get(g.code) && state.nodes.get(g.code).parent ? (state.lang === 'zh' ? '子类' : 'subcategory')
        : (state.lang === 'zh' ? '类别' : 'category');
      const labels = g.labels || (topic ? null : nodeLabels(g.code));
      const li = el('li', { class: 'gap' + (topic ? ' topic' : ''), 'data-code': g.code, 'data-kind': topic ? 'topic' : 'node',
                            'data-count': String(g.count ?? 0) },
        el('span', { class: 'kind', text: kind }),
        labelSpan(labels, g.code, 'label'),
        el('span', { class: 'nums', text: (g.count ?? 0) + ' / ' + min }));
      if (!topic && state.nodes.has(g.code)) {
        li.append(el('button', { type: 'button', class: 'ghost small', text: state.lang === 'zh' ? '查看' : 'Show',
                                 'aria-label': (state.lang === 'zh' ? '查看提案：' : 'List proposals: ') + pick(labels, g.code).main,
                                 onclick: () => select(g.code) }));
      }
      ul.append(li);
    }
  }

  /* ---- calls compared -------------------------------------------------------------- */

  function drawComparison() {
    const cmp = state.comparison;
    $('compare').hidden = !cmp;
    if (!cmp) return;
    const head = $('compare-head');
    head.replaceChildren(el('th', { scope: 'col', text: state.lang === 'zh' ? '类别' : 'Node' }));
    for (const c of cmp.calls) head.append(el('th', { scope: 'col', class: 'num', text: c }));
    const flagged = cmp.nodes.filter((r) => r.under_in_every_call).length;
    $('compare-hint').textContent = state.lang === 'zh'
      ? '▲ 在每次征集中都少于 ' + cmp.min + ' 项（共 ' + flagged + ' 项）。'
      : '▲ fewer than ' + cmp.min + ' proposals in every call (' + flagged + ').';
    const rows = $('compare-rows');
    rows.replaceChildren();
    for (const r of cmp.nodes) {
      const name = el('th', { scope: 'row', class: r.parent ? 'sub' : (r.kind === 'topic' ? 'topic' : 'cat') },
        labelSpan(r.labels, r.code, 'label'));
      if (r.under_in_every_call) name.prepend(el('span', { class: 'flag', text: '▲ ', 'aria-label': state.lang === 'zh' ? '持续缺口' : 'gap in every call' }));
      const tr = el('tr', { 'data-code': r.code, 'data-kind': r.kind,
                            class: r.under_in_every_call ? 'gap-all' : null }, name);
      for (const c of cmp.calls) tr.append(el('td', { class: 'num', text: String((r.counts || {})[c] ?? 0) }));
      rows.append(tr);
    }
  }

  /* ---- proposals ----------------------------------------------------------------- */

  function confidenceText(c) {
    if (c === null || c === undefined) return state.lang === 'zh' ? '人工' : 'manual';
    return (100 * Number(c)).toFixed(0) + '%';
  }

  function correctionCells(p, cls) {
    const catSel = el('select', { 'aria-label': (state.lang === 'zh' ? '分类：' : 'Category: ') + (p.title || p.id) });
    for (const c of (state.stats && state.stats.categories) || []) {
      const g = el('optgroup', { label: pick(c.labels, c.code).main });
      g.append(el('option', { value: c.code, text: pick(c.labels, c.code).main }));
      for (const s of c.subcategories || []) g.append(el('option', { value: s.code, text: '· ' + pick(s.labels, s.code).main }));
      catSel.append(g);
    }
    const current = codeOf(cls.subcategory) || codeOf(cls.category) || '';
    catSel.value = current;
    const stSel = el('select', { 'aria-label': (state.lang === 'zh' ? '状态：' : 'Status: ') + (p.title || p.id) });
    for (const s of STATUSES) stSel.append(el('option', { value: s[0], text: pick(statusLabels(s[0])).main }));
    stSel.value = p.status || 'submitted';
    const save = el('button', { type: 'button', class: 'small', text: state.lang === 'zh' ? '保存' : 'Save',
      onclick: async () => {
        const patch = {};
        if (catSel.value && catSel.value !== current) {
          const n = state.nodes.get(catSel.value);
          if (n && n.parent) patch.subcategory = catSel.value;
          else patch.category = catSel.value;
        }
        if (stSel.value !== (p.status || 'submitted')) patch.status = stSel.value;
        if (!Object.keys(patch).length) { say(state.lang === 'zh' ? '没有改动。' : 'Nothing changed.'); return; }
        save.disabled = true;
        try {
          await api('PATCH', '/v1/proposals/' + encodeURIComponent(p.id), patch);
          await refresh();
          say((state.lang === 'zh' ? '已更正：' : 'Corrected: ') + (p.title || p.id));
        } catch (e) {
          say((state.lang === 'zh' ? '更正失败：' : 'Correction failed: ') + e.message, true);
          save.disabled = false;
        }
      } });
    return el('td', { class: 'admin-only correct' }, catSel, stSel, save);
  }

  function proposalRow(p) {
    const cls = p.classification || {};
    const node = codeOf(cls.subcategory) || codeOf(cls.category);
    const late = p.late ? el('span', { class: 'late', text: state.lang === 'zh' ? '逾期' : 'late' }) : null;
    const tr = el('tr', { 'data-id': p.id },
      el('td', { class: 'title', 'data-th': state.lang === 'zh' ? '标准名称' : 'Title' },
         el('span', { text: p.title || '', title: p.title_en || null, lang: 'zh-CN' })),
      el('td', { 'data-th': state.lang === 'zh' ? '申报单位' : 'Organisation', text: p.organisation || '' }),
      el('td', { 'data-th': state.lang === 'zh' ? '分类' : 'Category' }, node ? labelSpan(nodeLabels(node), node) : '—'),
      el('td', { 'data-th': state.lang === 'zh' ? '状态' : 'Status' }, labelSpan(statusLabels(p.status), p.status), late),
      el('td', { class: 'num', 'data-th': state.lang === 'zh' ? '置信度' : 'Confidence',
                 text: confidenceText(cls.confidence), title: cls.source || null }));
    if (token()) tr.append(correctionCells(p, cls));
    return tr;
  }

  /* A click on a node and a refresh may both load the list: the last one asked wins. */
  let listGeneration = 0;

  async function loadProposals(append) {
    if (!state.selected) return;
    const mine = ++listGeneration;
    const params = Object.assign({ category: state.selected, limit: PAGE }, filter());
    if (append && state.cursor) params.cursor = state.cursor;
    const page = await api('GET', '/v1/proposals' + query(params));
    if (mine !== listGeneration) return;
    const body = $('proposal-rows');
    if (!append) body.replaceChildren();
    for (const p of page.items || []) body.append(proposalRow(p));
    state.cursor = page.next_cursor || null;
    $('more').hidden = !state.cursor;
    $('empty').hidden = body.children.length > 0;
    if (!body.children.length) $('empty').textContent = state.lang === 'zh' ? '没有提案。' : 'No proposals.';
  }

  async function select(code) {
    if (code !== state.selected) say('');
    state.selected = code;
    state.cursor = null;
    $('node-name').replaceChildren(labelSpan(nodeLabels(code), code));
    document.body.classList.toggle('admin', !!token());
    updateCsv();
    drawChart();
    try {
      await loadProposals(false);
    } catch (e) {
      say(e.message, true);
    }
  }

  /* ---- the whole view ------------------------------------------------------------ */

  /* Filters may change faster than answers come back: only the latest refresh
   * draws, so the page never shows an older filter's counts. */
  let generation = 0;

  async function refresh() {
    const f = filter();
    const mine = ++generation;
    updateCsv();
    try {
      const [stats, coverage, all, calls] = await Promise.all([
        api('GET', '/v1/stats' + query(f)),
        api('GET', '/v1/coverage' + query(Object.assign({ min: minValue() }, f))),
        state.filtersFilled ? null : api('GET', '/v1/stats'),
        state.filtersFilled ? null : api('GET', '/v1/calls'),
      ]);
      if (calls) state.calls = calls.calls || [];
      /* The comparison takes every call, whatever the call filter says. */
      const ids = state.calls.map((c) => c.id);
      const comparison = ids.length > 1
        ? await api('GET', '/v1/coverage' + query({ min: minValue(), call: ids.join(','), track: f.track, status: f.status }))
        : null;
      if (mine !== generation) return;
      state.comparison = comparison;
      if (all) { fillFilters(all); state.filtersFilled = true; }
      state.stats = stats;
      state.coverage = coverage;
      indexNodes(stats);
      state.gaps = new Map(((coverage && coverage.gaps) || []).map((g) => [g.code, g]));
      drawChart();
      drawGaps();
      drawComparison();
      if (state.selected) await loadProposals(false);
      document.body.dataset.ready = String(Date.now());
      if (!$('status').classList.contains('bad')) say('');
    } catch (e) {
      say((state.lang === 'zh' ? '无法读取数据：' : 'Could not load: ') + e.message, true);
    }
  }

  function redrawAll() {
    applyLang();
    tokenState();
    drawChart();
    drawGaps();
    drawComparison();
    if (state.selected) select(state.selected);
  }

  function tokenState() {
    const t = token();
    $('token-state').textContent = t ? (state.lang === 'zh' ? '已输入令牌' : 'token set') : '';
    document.body.classList.toggle('admin', !!t);
  }

  function init() {
    applyLang();
    tokenState();
    $('lang').addEventListener('click', () => {
      state.lang = state.lang === 'zh' ? 'en' : 'zh';
      say('');
      redrawAll();
      state.filtersFilled = false;
      refresh();
    });
    $('filters').addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
    $('filters').addEventListener('change', () => { say(''); refresh(); });
    $('more').addEventListener('click', () => loadProposals(true).catch((e) => say(e.message, true)));
    $('admin').addEventListener('submit', (e) => {
      e.preventDefault();
      const v = $('token').value.trim();
      try { if (v) sessionStorage.setItem(TOKEN_KEY, v); } catch (err) { say(err.message, true); }
      $('token').value = '';
      tokenState();
      if (state.selected) select(state.selected);
    });
    $('token-forget').addEventListener('click', () => {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch (err) { /* nothing kept */ }
      tokenState();
      if (state.selected) select(state.selected);
    });
    refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
