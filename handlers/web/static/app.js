// helpbot playground page. Plain JavaScript, no build step.
//
// Every piece of user, KB or bot text is put on the page with textContent
// (or as an attribute value through the DOM), never parsed as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  const state = {
    people: [],
    staff: '',
    tech: '',
    entries: new Map(), // chat entry id -> entry
    cards: new Map(),   // case id -> card
    notes: new Map(),   // case id -> {text, error} shown to this tab only
    busy: new Set(),    // case ids with a button press in flight
    source: null,
    retry: 0,
  };

  // ---- small DOM helpers -------------------------------------------------

  function el(tag, props, ...children) {
    const n = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') n.className = v;
        else if (k === 'text') n.textContent = v;
        else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'title') n.setAttribute(k, v);
        else n[k] = v;
      }
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      n.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return n;
  }

  const listItemRe = /^\s*(?:(\d+)[.)]|[•\-*])\s+/;

  // richText turns the bot's plain text into paragraphs and lists. Lines
  // starting "1." or "•" become list items; everything is a text node.
  function richText(text) {
    const frag = document.createDocumentFragment();
    for (const block of String(text || '').split(/\n\s*\n/)) {
      let list = null;
      let para = null;
      for (const line of block.split('\n')) {
        const m = line.match(listItemRe);
        if (m) {
          const ordered = m[1] !== undefined;
          if (!list || list.ordered !== ordered) {
            list = { ordered, node: el(ordered ? 'ol' : 'ul', { class: 'rt-list' }) };
            if (ordered && m[1] !== '1') list.node.start = Number(m[1]);
            frag.append(list.node);
          }
          list.node.append(el('li', { text: line.replace(listItemRe, '') }));
          para = null;
          continue;
        }
        list = null;
        if (!line.trim()) continue;
        if (!para) {
          para = el('p', { class: 'rt-p' });
          frag.append(para);
        } else {
          para.append(el('br'));
        }
        para.append(document.createTextNode(line));
      }
    }
    return frag;
  }

  function initials(name) {
    return String(name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
  }

  function clock(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  }

  function ago(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const min = Math.floor((Date.now() - d.getTime()) / 60000);
    if (min < 1) return 'just now';
    if (min < 60) return `${min} min ago`;
    const h = Math.floor(min / 60);
    if (h < 48) return `${h} h ${min % 60} min ago`;
    return `${Math.floor(h / 24)} days ago`;
  }

  // safeURL allows only web links from article front matter.
  function safeURL(u) {
    try {
      const url = new URL(u, location.href);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '';
    } catch {
      return '';
    }
  }

  const personName = (id) => (state.people.find((p) => p.id === id) || {}).name || id;

  // ---- API ---------------------------------------------------------------

  async function post(path, body) {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch { /* empty body */ }
    if (!r.ok) throw new Error(data.error || `The playground answered ${r.status}.`);
    return data;
  }

  // ---- identities --------------------------------------------------------

  function fillSelect(select, role, chosen) {
    select.replaceChildren();
    for (const p of state.people.filter((x) => x.role === role)) {
      select.append(el('option', { value: p.id, text: p.name, title: p.job, selected: p.id === chosen }));
    }
  }

  function saveIdentity() {
    const q = new URLSearchParams(location.search);
    q.set('staff', state.staff);
    q.set('tech', state.tech);
    history.replaceState(null, '', `${location.pathname}?${q}`);
  }

  // ---- staff chat --------------------------------------------------------

  const chatLog = $('chat-log');
  const chatScroll = $('chat-scroll');

  function nearBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  // follow keeps a list pinned to its newest item until the reader scrolls
  // up; measured on scroll, not on insert, so bursts of updates keep up.
  function follow(scroller) {
    const f = { stick: true };
    scroller.addEventListener('scroll', () => { f.stick = nearBottom(scroller); }, { passive: true });
    f.bottom = () => { scroller.scrollTop = scroller.scrollHeight; f.stick = true; };
    return f;
  }
  const chatFollow = follow(chatScroll);

  function sourceList(title, sources, cls) {
    const list = el('ul', { class: 'src-list' });
    for (const s of sources) {
      const href = s.url ? safeURL(s.url) : '';
      const name = href
        ? el('a', { class: 'src-title', href, target: '_blank', rel: 'noopener noreferrer', text: s.title })
        : el('span', { class: 'src-title', text: s.title });
      list.append(el('li', { class: 'src' },
        el('span', { class: 'src-icon', 'aria-hidden': 'true' }),
        el('span', { class: 'src-text' },
          name,
          s.section ? el('span', { class: 'src-section', text: ` › ${s.section}` }) : null,
          el('span', { class: 'src-path', text: s.path }))));
    }
    return el('div', { class: `sources ${cls}` }, el('p', { class: 'sources-title', text: title }), list);
  }

  const kindLabel = {
    warning: 'Heads up',
    policy: 'Policy',
    error: 'Could not do that',
    escalated: 'Sent to the tech team',
    ask_location: 'One question',
  };

  function entryNode(e) {
    if (e.from === 'staff') {
      const me = personName(state.staff);
      return el('li', { class: 'msg msg-me', 'data-id': String(e.id), 'data-from': 'staff' },
        el('div', { class: 'msg-body' },
          el('p', { class: 'msg-meta' }, el('span', { class: 'msg-who', text: 'You' }), el('time', { dateTime: e.at, text: clock(e.at) })),
          el('div', { class: 'bubble bubble-me' }, richText(e.text))),
        el('span', { class: 'avatar avatar-staff', 'aria-hidden': 'true', text: initials(me) }));
    }
    const meta = el('p', { class: 'msg-meta' },
      el('span', { class: 'msg-who', text: 'helpbot' }),
      el('span', { class: 'badge-app', text: 'APP' }),
      el('time', { dateTime: e.at, text: clock(e.at) }));
    if (e.onlyYou) meta.append(el('span', { class: 'only-you', text: 'Only visible to you' }));
    const bubble = el('div', { class: `bubble bubble-bot kind-${e.kind || 'notice'}` });
    if (kindLabel[e.kind]) bubble.append(el('p', { class: 'kind-label', text: kindLabel[e.kind] }));
    if (e.pushed && e.case) bubble.append(el('p', { class: 'kind-label', text: `Update on ${e.case}` }));
    bubble.append(richText(e.text));
    if (e.kind === 'escalated' && e.case) bubble.append(el('p', { class: 'case-ref' }, el('span', { class: 'case-pill', text: e.case })));
    if (e.sources && e.sources.length) bubble.append(sourceList(e.sources.length > 1 ? 'Sources' : 'Source', e.sources, 'sources-cited'));
    if (e.related && e.related.length) bubble.append(sourceList('Related articles', e.related, 'sources-related'));

    const body = el('div', { class: 'msg-body' }, meta, bubble);
    if (e.status) {
      body.append(el('p', { class: 'msg-status', text: e.status }));
    } else if (e.choices && e.choices.length) {
      const row = el('div', { class: 'choices', role: 'group', 'aria-label': 'Reply options' });
      for (const c of e.choices) {
        const style = c.style === 'primary' ? 'btn-primary' : c.style === 'danger' ? 'btn-danger' : 'btn-secondary';
        const b = el('button', { type: 'button', class: `btn btn-sm ${style}`, 'data-action': c.action, text: c.label });
        b.addEventListener('click', () => pressChoice(e, c, row));
        row.append(b);
      }
      body.append(row);
    }
    body.append(el('p', { class: 'form-error entry-error', role: 'alert', hidden: true }));
    return el('li', { class: 'msg msg-bot', 'data-id': String(e.id), 'data-from': 'bot', 'data-kind': e.kind || 'notice' },
      el('span', { class: 'avatar avatar-bot', 'aria-hidden': 'true', text: 'hb' }), body);
  }

  function upsertEntry(e) {
    state.entries.set(e.id, e);
    const node = entryNode(e);
    const old = chatLog.querySelector(`[data-id="${e.id}"]`);
    if (old) {
      old.replaceWith(node);
    } else {
      let before = null;
      for (const n of chatLog.children) {
        if (Number(n.dataset.id) > e.id) { before = n; break; }
      }
      chatLog.insertBefore(node, before);
    }
    $('chat-empty').hidden = state.entries.size > 0;
    if (chatFollow.stick || e.from === 'staff') chatFollow.bottom();
  }

  function resetChat(entries) {
    state.entries.clear();
    chatLog.replaceChildren();
    for (const e of entries) upsertEntry(e);
    $('chat-empty').hidden = state.entries.size > 0;
    chatFollow.bottom();
  }

  async function pressChoice(entry, choice, row) {
    const err = row.parentElement.querySelector('.entry-error');
    for (const b of row.querySelectorAll('button')) b.disabled = true;
    err.hidden = true;
    try {
      const res = await post('/api/actions', { as: state.staff, action: choice.action, case: choice.value || '', entry: entry.id });
      for (const e of res.entries) upsertEntry(e);
      if (res.card) upsertCard(res.card);
    } catch (x) {
      for (const b of row.querySelectorAll('button')) b.disabled = false;
      err.textContent = x.message;
      err.hidden = false;
    }
  }

  async function send(text) {
    const input = $('composer-input');
    const errBox = $('composer-error');
    text = text.trim();
    if (!text) return;
    errBox.hidden = true;
    $('send').disabled = true;
    $('typing').hidden = false;
    chatFollow.bottom();
    try {
      const res = await post('/api/messages', { as: state.staff, text });
      input.value = '';
      autosize();
      for (const e of res.entries) upsertEntry(e);
    } catch (x) {
      errBox.textContent = x.message;
      errBox.hidden = false;
    } finally {
      $('send').disabled = false;
      $('typing').hidden = true;
      input.focus();
    }
  }

  function autosize() {
    const t = $('composer-input');
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
  }

  // ---- techs' channel ----------------------------------------------------

  const cardList = $('cards');
  const cardScroll = $('cards-scroll');
  const cardFollow = follow(cardScroll);

  const statusClass = { open: 'open', claimed: 'claimed', resolved: 'resolved', cancelled: 'cancelled' };

  function field(label, value) {
    if (!value) return null;
    return el('div', { class: 'field' }, el('dt', { text: label }), el('dd', {}, value));
  }

  function cardButtons(c) {
    const me = state.tech;
    const buttons = [];
    const mk = (action, label, style) => el('button', { type: 'button', class: `btn btn-sm ${style}`, 'data-action': action, text: label });
    if (c.status === 'open') buttons.push(mk('helpbot.claim', 'Claim', 'btn-primary'));
    if (c.status === 'claimed' && c.claimer && c.claimer.id === me) {
      buttons.push(mk('helpbot.resolve', 'Resolve', 'btn-primary'));
      buttons.push(mk('helpbot.release', 'Release', 'btn-secondary'));
    }
    return buttons;
  }

  function cardNode(c) {
    const urgent = c.priority === 'urgent';
    const head = el('div', { class: 'case-head' },
      el('span', { class: 'case-id', text: c.id }),
      urgent ? el('span', { class: 'tag tag-urgent', text: 'Urgent' }) : null,
      el('span', { class: `tag tag-${statusClass[c.status] || 'open'}`, text: c.statusText }),
      el('time', { class: 'case-age', dateTime: c.createdAt, 'data-created': c.createdAt, text: ago(c.createdAt) }));

    let tried = null;
    if (c.articles && c.articles.length) {
      tried = el('ul', { class: 'tried' });
      for (const a of c.articles) tried.append(el('li', { text: a.title }));
    }
    const fields = el('dl', { class: 'case-fields' },
      field('From', el('span', { class: 'person' }, el('span', { class: 'avatar avatar-xs avatar-staff', 'aria-hidden': 'true', text: initials(c.requester.name || c.requester.id) }), c.requester.name || c.requester.id)),
      field('Where', c.location || 'Not given'),
      field('Device', c.device),
      field('Why', c.reason),
      field('Tried', tried));

    const node = el('li', {
      class: `case case-${statusClass[c.status] || 'open'}${urgent ? ' case-urgent' : ''}`,
      'data-case': c.id, 'data-status': c.status,
      'aria-label': `Case ${c.id}, ${c.statusText}`,
    },
    el('div', { class: 'case-post' },
      el('span', { class: 'avatar avatar-bot', 'aria-hidden': 'true', text: 'hb' }),
      el('p', { class: 'msg-meta' }, el('span', { class: 'msg-who', text: 'helpbot' }), el('span', { class: 'badge-app', text: 'APP' }), el('time', { dateTime: c.createdAt, text: clock(c.createdAt) }))),
    el('article', { class: 'case-card' },
      head,
      el('h3', { class: 'case-summary', text: c.summary }),
      fields,
      c.transcript && c.transcript.length ? transcript(c) : null,
      footer(c)));
    return node;
  }

  function transcript(c) {
    const list = el('ol', { class: 'transcript' });
    for (const t of c.transcript) {
      list.append(el('li', {}, el('span', { class: 'transcript-who', text: `${t.who}: ` }), t.text));
    }
    return el('details', { class: 'case-transcript' }, el('summary', { text: `Conversation (${c.transcript.length} ${c.transcript.length === 1 ? 'line' : 'lines'})` }), list);
  }

  function footer(c) {
    const foot = el('div', { class: 'case-foot' });
    const buttons = cardButtons(c);
    if (buttons.length) {
      const row = el('div', { class: 'choices', role: 'group', 'aria-label': `Actions for ${c.id}` });
      for (const b of buttons) {
        b.disabled = state.busy.has(c.id);
        b.addEventListener('click', () => pressCard(c, b.dataset.action));
        row.append(b);
      }
      foot.append(row);
    } else if (c.status === 'claimed' && c.claimer) {
      foot.append(el('p', { class: 'case-owner', text: `${c.claimer.name || c.claimer.id} is on it. Only they can resolve or release it.` }));
    }
    if (c.detail) foot.append(el('p', { class: 'case-owner case-detail', text: c.detail }));
    // A note answers one press; once the case has moved on it is stale.
    const note = state.notes.get(c.id);
    if (note && note.status === c.status) foot.append(el('p', { class: `case-note${note.error ? ' case-note-error' : ''}`, role: 'status', text: note.text }));
    return foot;
  }

  function upsertCard(c) {
    state.cards.set(c.id, c);
    const node = cardNode(c);
    const old = cardList.querySelector(`[data-case="${CSS.escape(c.id)}"]`);
    if (old) {
      const openDetails = old.querySelector('details[open]');
      if (openDetails) node.querySelector('details')?.setAttribute('open', '');
      old.replaceWith(node);
    } else {
      cardList.append(node);
      if (cardFollow.stick) cardFollow.bottom();
    }
    cardsChanged();
  }

  function renderCards() {
    cardList.replaceChildren();
    for (const c of state.cards.values()) cardList.append(cardNode(c));
    cardsChanged();
  }

  function cardsChanged() {
    const all = [...state.cards.values()];
    const open = all.filter((c) => c.status === 'open').length;
    const claimed = all.filter((c) => c.status === 'claimed').length;
    $('cards-empty').hidden = all.length > 0;
    const parts = [];
    parts.push(open ? `${open} waiting` : 'None waiting');
    if (claimed) parts.push(`${claimed} claimed`);
    $('queue-count').textContent = all.length ? parts.join(' · ') : 'No open cases';
  }

  async function pressCard(c, action) {
    state.busy.add(c.id);
    state.notes.delete(c.id);
    upsertCard(state.cards.get(c.id) || c);
    try {
      const res = await post('/api/actions', { as: state.tech, action, case: c.id });
      const now = res.card || state.cards.get(c.id) || c;
      const text = res.notes.map((n) => n.text).join(' ');
      if (text) state.notes.set(c.id, { text, status: now.status });
      state.busy.delete(c.id);
      upsertCard(now);
    } catch (x) {
      state.busy.delete(c.id);
      const now = state.cards.get(c.id) || c;
      state.notes.set(c.id, { text: x.message, error: true, status: now.status });
      upsertCard(now);
    }
  }

  // ---- live updates ------------------------------------------------------

  // announce tells screen readers about a card change in one short line,
  // instead of reading the whole re-rendered card.
  function announce(text) {
    const live = $('announcer');
    live.textContent = '';
    requestAnimationFrame(() => { live.textContent = text; });
  }

  function setConn(s, text) {
    $('conn').dataset.state = s;
    $('conn-text').textContent = text;
  }

  function connect() {
    if (state.source) state.source.close();
    const staff = state.staff;
    const src = new EventSource(`/api/events?staff=${encodeURIComponent(staff)}`);
    state.source = src;
    setConn('connecting', 'Connecting…');
    src.addEventListener('snapshot', (ev) => {
      const snap = JSON.parse(ev.data);
      if (snap.staff !== state.staff) return;
      state.retry = 0;
      setConn('live', 'Live');
      resetChat(snap.chat || []);
      state.cards.clear();
      for (const c of snap.cards || []) state.cards.set(c.id, c);
      renderCards();
      cardFollow.bottom();
      document.body.dataset.ready = 'true';
    });
    src.addEventListener('chat', (ev) => {
      if (staff === state.staff) upsertEntry(JSON.parse(ev.data));
    });
    src.addEventListener('card', (ev) => {
      const c = JSON.parse(ev.data);
      const before = state.cards.get(c.id);
      if (!before) announce(`New case ${c.id} from ${c.requester.name || c.requester.id}: ${c.summary}`);
      else if (before.statusText !== c.statusText) announce(`${c.id}: ${c.statusText}`);
      upsertCard(c);
    });
    src.addEventListener('error', () => {
      setConn('down', 'Reconnecting…');
      if (src.readyState === EventSource.CLOSED) {
        // The browser gave up (server restarted, or this view was dropped
        // as too slow): back off and start over with a fresh snapshot.
        state.retry = Math.min(state.retry + 1, 5);
        setTimeout(() => { if (state.source === src) connect(); }, 500 * 2 ** state.retry);
      }
    });
  }

  // ---- knowledge base panel ----------------------------------------------

  const fmt = (x, n = 2) => Number(x).toFixed(n);

  function hitNode(h, threshold) {
    const pct = Math.max(0, Math.min(100, h.confidence * 100));
    const bar = el('span', { class: `meter-fill${h.aboveThreshold ? ' meter-pass' : ''}` });
    bar.style.width = `${pct}%`;
    const mark = el('span', { class: 'meter-mark', title: `Threshold ${fmt(threshold)}` });
    mark.style.left = `${threshold * 100}%`;
    const meter = el('span', { class: 'meter', role: 'img', 'aria-label': `Confidence ${fmt(h.confidence)} of 1; the bot answers at ${fmt(threshold)}` }, bar, mark);
    return el('li', { class: 'hit', 'data-path': h.path },
      el('div', { class: 'hit-head' },
        el('span', { class: 'hit-rank', text: String(h.rank) }),
        el('div', { class: 'hit-title-wrap' },
          el('p', { class: 'hit-title', text: h.title }),
          el('p', { class: 'hit-path', text: h.line ? `${h.path}:${h.line}` : h.path }))),
      h.section ? el('p', { class: 'hit-section' }, el('span', { class: 'hit-k', text: 'Section ' }), h.section) : null,
      el('div', { class: 'hit-conf' }, meter, el('span', { class: `hit-conf-num${h.aboveThreshold ? ' pass' : ''}`, text: fmt(h.confidence) })),
      el('dl', { class: 'hit-nums' },
        el('div', {}, el('dt', { text: 'Score' }), el('dd', { text: fmt(h.score) })),
        el('div', {}, el('dt', { text: 'Matched' }), el('dd', { text: `${Math.round(h.matched * 100)}%` })),
        h.audience === 'tech' ? el('div', {}, el('dt', { text: 'For' }), el('dd', { text: 'techs' })) : null),
      el('details', { class: 'hit-excerpt' }, el('summary', { text: 'What the bot would show' }), el('div', { class: 'excerpt' }, richText(h.excerpt))));
  }

  async function kbSearch(ev) {
    ev.preventDefault();
    const q = $('kb-q').value.trim();
    const summary = $('kb-summary');
    const results = $('kb-results');
    if (!q) {
      summary.textContent = 'Type a question first.';
      return;
    }
    const audience = document.querySelector('input[name="audience"]:checked').value;
    summary.textContent = 'Searching…';
    try {
      const r = await fetch(`/api/kb/search?${new URLSearchParams({ q, audience, k: '5' })}`);
      const data = await r.json();
      if (!r.ok) throw new Error(data.error || `The playground answered ${r.status}.`);
      results.replaceChildren();
      for (const h of data.hits) results.append(hitNode(h, data.threshold));
      if (!data.hits.length) {
        summary.textContent = `No article in the ${data.articles} loaded matches. The bot would say it isn't sure and offer a tech.`;
      } else if (data.answers) {
        summary.textContent = `The bot would answer from “${data.hits[0].title}”: confidence ${fmt(data.hits[0].confidence)} clears the ${fmt(data.threshold)} threshold.`;
      } else {
        summary.textContent = `Below the ${fmt(data.threshold)} threshold: the bot would say it isn't sure, list related articles and offer a tech.`;
      }
      summary.dataset.answers = String(Boolean(data.answers));
    } catch (x) {
      results.replaceChildren();
      summary.textContent = x.message;
    }
  }

  // ---- start -------------------------------------------------------------

  async function start() {
    try {
      const r = await fetch('/api/people');
      state.people = (await r.json()).people;
    } catch {
      setConn('down', 'The playground is not answering');
      return;
    }
    const q = new URLSearchParams(location.search);
    const pick = (role, want) => {
      const list = state.people.filter((p) => p.role === role);
      return (list.find((p) => p.id === want) || list[0]).id;
    };
    state.staff = pick('staff', q.get('staff'));
    state.tech = pick('tech', q.get('tech'));
    fillSelect($('staff-select'), 'staff', state.staff);
    fillSelect($('tech-select'), 'tech', state.tech);
    saveIdentity();

    $('staff-select').addEventListener('change', (ev) => {
      state.staff = ev.target.value;
      saveIdentity();
      resetChat([]);
      connect();
    });
    $('tech-select').addEventListener('change', (ev) => {
      state.tech = ev.target.value;
      state.notes.clear();
      saveIdentity();
      renderCards();
    });
    $('composer').addEventListener('submit', (ev) => {
      ev.preventDefault();
      send($('composer-input').value);
    });
    $('composer-input').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        send($('composer-input').value);
      }
    });
    $('composer-input').addEventListener('input', autosize);
    for (const b of document.querySelectorAll('.suggestions .chip-btn')) {
      b.addEventListener('click', () => send(b.textContent));
    }
    $('kb-form').addEventListener('submit', kbSearch);
    for (const r of document.querySelectorAll('input[name="audience"]')) {
      r.addEventListener('change', () => { if ($('kb-q').value.trim()) $('kb-form').requestSubmit(); });
    }
    setInterval(() => {
      for (const t of document.querySelectorAll('.case-age')) t.textContent = ago(t.dataset.created);
    }, 30000);
    connect();
  }

  start();
})();
