/* kesu offline CAPI (page /field/offline). Works with the network cut:
 * - the app shell comes from the service worker's Cache Storage (capi-sw.js);
 * - cases, questionnaires, drafts and the outbox live in IndexedDB, each record encrypted
 *   with AES-GCM (WebCrypto) under the interviewer's device key; the key comes from the
 *   server (/field/api/key) and is kept in this tab's sessionStorage only, never in
 *   IndexedDB: a copied IndexedDB is unreadable, a reload offline keeps working, closing
 *   the tab locks the data until the next online visit (the same interviewer gets the same
 *   key); logout wipes IndexedDB, sessionStorage and the cache;
 * - every answer is written to the draft at once (each change);
 * - skip logic and checks run with kesu-expr.js on the questionnaire's own expressions;
 * - finished interviews wait in the outbox and upload when the network returns, each with
 *   its instance id (a replay gets the same answer); refusals show the server's reason. */
(function () {
  'use strict';
  var app = document.getElementById('capi-app');
  if (!app) return;
  var T = JSON.parse(document.getElementById('capi-texts').textContent);
  var LANG = app.dataset.lang;
  var KX = window.kesuExpr;
  var DB_NAME = 'kesu-capi', STORE = 'records', KEY_SLOT = 'kesu-capi-key';
  var cryptoKey = null, state = { bundle: null, drafts: {}, outbox: {} }, syncing = false;

  function t(key, params) {
    var s = T[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.split('{' + k + '}').join(String(params[k])); });
    return s;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'on') Object.keys(attrs.on).forEach(function (ev) { e.addEventListener(ev, attrs.on[ev]); });
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function say(text) { var m = document.getElementById('message'); m.textContent = text || ''; m.hidden = !text; }

  /* -- encrypted IndexedDB ------------------------------------------------------------ */
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'k' }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(out && out.result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  function b64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }
  function put(k, value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var data = new TextEncoder().encode(JSON.stringify(value));
    return crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv }, cryptoKey, data).then(function (ct) {
      return tx('readwrite', function (s) { return s.put({ k: k, iv: b64(iv), ct: b64(ct) }); });
    });
  }
  function getAll() {
    return tx('readonly', function (s) { return s.getAll(); }).then(function (rows) {
      return Promise.all((rows || []).map(function (r) {
        return crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(r.iv) }, cryptoKey, unb64(r.ct))
          .then(function (pt) { return [r.k, JSON.parse(new TextDecoder().decode(pt))]; });
      }));
    });
  }
  function wipe() {
    sessionStorage.removeItem(KEY_SLOT);
    var jobs = [new Promise(function (resolve) {
      var req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    })];
    if (window.caches) jobs.push(caches.keys().then(function (ks) { return Promise.all(ks.map(function (k) { return caches.delete(k); })); }));
    return Promise.all(jobs);
  }

  /* -- key, bundle, network ----------------------------------------------------------- */
  function fetchJson(url, options) {
    options = options || {};
    options.credentials = 'same-origin';
    options.headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    return fetch(url, options).then(function (resp) {
      if (resp.redirected || (resp.headers.get('Content-Type') || '').indexOf('json') < 0) {
        var err = new Error('login'); err.login = true; throw err;
      }
      return resp.json().then(function (body) { return { status: resp.status, body: body }; });
    });
  }
  function importKey(raw) {
    return crypto.subtle.importKey('raw', unb64(raw), 'AES-GCM', false, ['encrypt', 'decrypt'])
      .then(function (k) { cryptoKey = k; });
  }
  function unlock() {
    var kept = sessionStorage.getItem(KEY_SLOT);
    var online = fetchJson(app.dataset.key).then(function (r) {
      sessionStorage.setItem(KEY_SLOT, r.body.key);
      state.csrf = r.body.csrf_token;
      document.getElementById('logout-csrf').value = r.body.csrf_token;
      return importKey(r.body.key);
    });
    if (kept) { online.catch(function () {}); return importKey(kept); }
    return online;
  }
  function refreshBundle() {
    return fetchJson(app.dataset.bundle).then(function (r) {
      if (r.status !== 200) return;
      state.bundle = r.body;
      return put('bundle', r.body);
    });
  }

  function showNet() {
    var net = document.getElementById('net');
    net.textContent = navigator.onLine ? t('off_online') : t('off_offline');
    net.className = navigator.onLine ? 'net online' : 'net offline';
  }

  /* -- the outbox ---------------------------------------------------------------------- */
  function renderOutbox() {
    var ul = document.getElementById('outbox');
    ul.textContent = '';
    Object.keys(state.outbox).forEach(function (id) {
      var o = state.outbox[id];
      var text = o.household + ' · ' + t('off_state_' + o.state) + (o.reason ? ' — ' + o.reason : '');
      ul.appendChild(el('li', { 'class': 'sync-' + o.state, 'data-instance': id, text: text }));
    });
  }
  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    var waiting = Object.keys(state.outbox).filter(function (id) { return state.outbox[id].state === 'waiting'; });
    if (!waiting.length) return Promise.resolve();
    syncing = true;
    var chain = state.csrf ? Promise.resolve() : fetchJson(app.dataset.key).then(function (r) { state.csrf = r.body.csrf_token; });
    waiting.forEach(function (id) {
      chain = chain.then(function () {
        var o = state.outbox[id];
        return fetchJson(app.dataset.submit, {
          method: 'POST', body: JSON.stringify(o.payload),
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': state.csrf }
        }).then(function (r) {
          if (r.status === 200) { o.state = 'sent'; o.reason = ''; }
          else if (r.body && r.body.reason === 'busy') return;
          else if (r.status === 400 && /csrf/i.test(r.body.message || '')) { state.csrf = null; return; }
          else {
            var key = 'off_reason_' + (r.body.reason || 'refused');
            o.state = 'refused';
            o.reason = T[key] ? t(key, { page: r.body.page || '', message: r.body.message || r.status }) : (r.body.message || String(r.status));
          }
          return put('outbox:' + id, o);
        });
      });
    });
    return chain.catch(function () { /* network gone again: stays waiting */ })
      .then(function () { syncing = false; renderOutbox(); renderList(true); });
  }

  /* -- the household list -------------------------------------------------------------- */
  function caseState(c) {
    var sent = Object.keys(state.outbox).map(function (k) { return state.outbox[k]; })
      .filter(function (o) { return o.case_id === c.id; });
    if (sent.length) return sent[sent.length - 1].state;
    if (state.drafts[c.id]) return 'draft';
    return null;
  }
  function renderList(keep) {
    if (keep && document.getElementById('view').dataset.view !== 'list') return;
    var view = document.getElementById('view');
    view.textContent = ''; view.dataset.view = 'list';
    if (!state.bundle || !state.bundle.cases.length) { view.appendChild(el('p', { text: t('off_no_cases') })); return; }
    view.appendChild(el('h2', { text: t('off_list') }));
    var list = el('div', { 'class': 'field-list' });
    state.bundle.cases.forEach(function (c) {
      var st = caseState(c);
      list.appendChild(el('a', { 'class': 'case', href: '#case-' + c.id, 'data-case': c.id }, [
        el('strong', { text: c.household_id }), ' · ' + c.town + ' · ' + c.psu,
        el('span', { 'class': 'meta', text: ' · ' + c.wave + (st ? ' · ' + t('off_state_' + st) : '') })
      ]));
    });
    view.appendChild(list);
  }

  /* -- one household: roster and selection -------------------------------------------- */
  function draftOf(c) {
    if (!state.drafts[c.id]) state.drafts[c.id] = { case_id: c.id, roster: null, selected: null, answers: {}, page: null, base_revision: c.revision };
    return state.drafts[c.id];
  }
  function saveDraft(d) { return put('draft:' + d.case_id, d); }

  /* sampling.selection.kish_grid_select with a household serial: eligible adults men
   * first, each sex oldest first; listed person ((serial - 1) mod k) + 1 */
  function kish(members, c) {
    var eligible = members.filter(function (m) { return m.age >= c.min_age && m.age <= c.max_age; });
    eligible.sort(function (a, b) { return (a.sex === '1' ? 0 : 1) - (b.sex === '1' ? 0 : 1) || b.age - a.age; });
    if (!eligible.length) return null;
    return { label: eligible[(c.serial - 1) % eligible.length].label, n: eligible.length };
  }

  function renderCase(c) {
    var view = document.getElementById('view'), d = draftOf(c);
    view.textContent = ''; view.dataset.view = 'case';
    view.appendChild(el('p', {}, [el('a', { href: '#', text: t('field_back') })]));
    view.appendChild(el('h2', { text: c.household_id }));
    var needsRoster = c.case_type === 'household' && !c.roster_selected;
    if (needsRoster && !d.selected) {
      if (c.selection !== 'kish') { view.appendChild(el('p', { text: t('off_birthday_online') })); return; }
      view.appendChild(el('h3', { text: t('off_roster') }));
      var table = el('table', { 'class': 'data roster', id: 'roster' });
      function addRow() {
        var i = table.rows.length + 1;
        table.appendChild(el('tr', {}, [
          el('td', {}, [el('input', { name: 'label', maxlength: 16, 'aria-label': t('field_nickname') + ' ' + i })]),
          el('td', {}, [el('select', { name: 'sex', 'aria-label': t('field_sex') + ' ' + i }, [
            el('option', { value: '', text: '—' }), el('option', { value: '1', text: t('field_male') }),
            el('option', { value: '2', text: t('field_female') })])]),
          el('td', {}, [el('input', { name: 'age', inputmode: 'numeric', maxlength: 3, 'aria-label': t('field_age') + ' ' + i })])
        ]));
      }
      for (var i = 0; i < 4; i++) addRow();
      view.appendChild(table);
      view.appendChild(el('button', { type: 'button', on: { click: addRow }, text: t('off_add_member') }));
      view.appendChild(el('button', { type: 'button', 'class': 'primary', id: 'select', text: t('off_select'), on: { click: function () {
        var members = [];
        Array.prototype.forEach.call(table.rows, function (row) {
          var label = row.querySelector('[name=label]').value.trim(), age = row.querySelector('[name=age]').value.trim();
          var sex = row.querySelector('[name=sex]').value;
          if (label && /^\d{1,3}$/.test(age) && sex) members.push({ label: label, sex: sex, age: parseInt(age, 10) });
        });
        var chosen = members.length ? kish(members, c) : null;
        if (!chosen) { say(t('off_no_eligible')); return; }
        d.roster = members; d.selected = chosen.label; d.eligible = chosen.n;
        saveDraft(d).then(function () { say(''); renderCase(c); });
      } } }));
      return;
    }
    if (d.selected) view.appendChild(el('p', { id: 'selected', text: t('off_selected', { label: d.selected, n: d.eligible }) }));
    if (c.status === 'complete' || caseState(c) === 'waiting' || caseState(c) === 'sent') {
      view.appendChild(el('p', { text: c.status === 'complete' ? t('field_complete') : t('off_state_' + caseState(c)) }));
      return;
    }
    view.appendChild(el('button', { type: 'button', 'class': 'primary', id: 'start', text: t('off_start'), on: { click: function () {
      location.hash = '#case-' + c.id + '/q/' + (d.page || firstPage(c, d));
    } } }));
  }

  /* -- the interview ------------------------------------------------------------------ */
  function formOf(c) { return state.bundle.forms[c.form]; }
  function firstPage(c, d) { var w = KX.walk(formOf(c), d.answers, c.year); return w.sections.length ? w.sections[0].section.id : ''; }

  /* survey.answers.parse_number and parse_text, on the device */
  function parseValue(item, raw) {
    if (item.type === 'number') {
      var s = raw.normalize('NFKC').trim().replace(/ /g, '');
      if (!s) return [null, null];
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) || s.length > 32) return [null, t('off_number')];
      var x = parseFloat(s);
      if (item.integer && !Number.isInteger(x)) return [null, t('off_integer')];
      if (item.minimum !== null && x < item.minimum) return [null, t('off_min', { min: item.minimum })];
      if (item.maximum !== null && x > item.maximum) return [null, t('off_max', { max: item.maximum })];
      return [x, null];
    }
    if (item.type === 'date') {
      var day = raw.normalize('NFKC').trim();
      if (!day) return [null, null];
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
      var real = m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
      if (!m || real.getUTCMonth() !== +m[2] - 1 || real.getUTCDate() !== +m[3] || +m[1] < 1900 || +m[1] > 2100) return [null, t('err_date_answer')];
      return [day, null];
    }
    var text = raw.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trim();
    if (!text) return [null, null];
    if (text.length > item.max_length) return [null, t('off_too_long', { max: item.max_length })];
    return [text, null];
  }

  function readPage(page, d, item) {
    var errors = {};
    item.variables.forEach(function (v) {
      var name = 'q_' + v, inputs = page.querySelectorAll('[name="' + name + '"]');
      if (item.type === 'multiple') {
        var codes = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
        var excl = item.options.filter(function (o) { return o.exclusive && codes.indexOf(o.code) >= 0; });
        if (excl.length && codes.length > 1) errors[v] = t('off_exclusive', { label: excl[0].label });
        if (codes.length) d.answers[v] = codes; else delete d.answers[v];
      } else if (item.options.length || item.type === 'grid' || item.type === 'likert' || item.type === 'truefalse' || item.type === 'single') {
        var on = Array.prototype.filter.call(inputs, function (i) { return i.checked; })[0];
        if (on) d.answers[v] = on.value; else delete d.answers[v];
      } else if (inputs.length) {
        var r = parseValue(item, inputs[0].value);
        d.raw = d.raw || {};
        /* what was typed stays in the field until it is corrected, as on the web pages */
        if (r[1]) { errors[v] = r[1]; d.raw[v] = inputs[0].value.slice(0, 500); } else delete d.raw[v];
        if (r[0] !== null) d.answers[v] = r[0]; else delete d.answers[v];
      }
    });
    return errors;
  }

  function renderPage(c, sectionId, errors) {
    var d = draftOf(c), form = formOf(c), view = document.getElementById('view');
    var w = KX.walk(form, d.answers, c.year);
    var ids = w.sections.map(function (s) { return s.section.id; });
    var at = ids.indexOf(sectionId);
    if (at < 0) { location.hash = '#case-' + c.id + '/q/' + ids[0]; return; }
    var shown = w.sections[at];
    view.textContent = ''; view.dataset.view = 'page';
    var page = el('form', { 'class': 'page', id: 'page', 'data-page': sectionId, novalidate: true });
    page.appendChild(el('h2', { text: shown.section.title }));
    if (shown.section.intro) page.appendChild(el('p', { text: shown.section.intro }));
    shown.items.forEach(function (item) {
      var bad = errors && item.variables.some(function (v) { return errors[v]; });
      var box = el('fieldset', { 'class': 'question' + (bad ? ' has-error' : ''), 'data-item': item.id }, [el('legend', { text: item.text })]);
      if (item.help) box.appendChild(el('p', { 'class': 'help', text: item.help }));
      var rows = item.type === 'grid' ? item.rows : [{ id: item.id, text: null }];
      rows.forEach(function (row) {
        var name = 'q_' + row.id, value = d.answers[row.id];
        if (row.text) box.appendChild(el('p', { 'class': 'grid-row', text: row.text }));
        if (item.options.length) {
          KX.offered(item.options, KX.environment(form, w.answers, c.year)).forEach(function (o) {
            var multi = item.type === 'multiple';
            var checked = multi ? (value || []).indexOf(o.code) >= 0 : value === o.code;
            box.appendChild(el('label', { 'class': 'opt' }, [
              el('input', { type: multi ? 'checkbox' : 'radio', name: name, value: o.code, checked: checked }), ' ' + o.label]));
          });
        } else {
          box.appendChild(el('input', { name: name, 'aria-label': item.text, inputmode: item.type === 'number' ? 'decimal' : null,
            type: item.type === 'date' ? 'date' : 'text',
            value: d.raw && d.raw[row.id] !== undefined ? d.raw[row.id] : value === undefined || value === null ? '' : String(value) }));
          if (item.unit) box.appendChild(el('span', { text: ' ' + item.unit }));
        }
        if (errors && errors[row.id]) box.appendChild(el('p', { 'class': 'field-error', role: 'alert', text: errors[row.id] }));
      });
      page.appendChild(box);
    });
    var before = signature(shown.items, KX.environment(form, w.answers, c.year));
    var last = at === ids.length - 1;
    if (at > 0) page.appendChild(el('button', { type: 'button', id: 'back', text: t('off_back'), on: { click: function () {
      location.hash = '#case-' + c.id + '/q/' + ids[at - 1]; } } }));
    page.appendChild(el('button', { type: 'submit', 'class': 'primary', id: 'next', text: last ? t('off_finish') : t('off_next') }));
    /* every answer is kept on the device at once */
    page.addEventListener('change', function () {
      shown.items.forEach(function (item) { readPage(page, d, item); });
      d.page = sectionId;
      saveDraft(d).then(function () {
        /* a question or an option that the new answer brings in (or hides) shows at once */
        var now = KX.walk(form, d.answers, c.year);
        var again = now.sections.filter(function (s) { return s.section.id === sectionId; })[0];
        if (again && signature(again.items, KX.environment(form, now.answers, c.year)) !== before) renderPage(c, sectionId);
      });
    });
    page.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var errs = {};
      shown.items.forEach(function (item) { Object.assign(errs, readPage(page, d, item)); });
      var check = KX.checkPage(form, sectionId, d.answers, c.year);
      Object.keys(check.errors).forEach(function (v) {
        if (errs[v]) return;
        var item = shown.items.filter(function (i) { return i.variables.indexOf(v) >= 0; })[0];
        errs[v] = check.errors[v] === 'required' ? t('off_required') : check.errors[v] === 'not_offered' ? t('err_not_offered') : (item && item.constraint_message) || t('off_constraint');
      });
      d.answers = Object.assign({}, d.answers);
      if (Object.keys(errs).length) { saveDraft(d).then(function () { renderPage(c, sectionId, errs); }); return; }
      var now = KX.walk(form, d.answers, c.year), nowIds = now.sections.map(function (s) { return s.section.id; });
      var next = nowIds[nowIds.indexOf(sectionId) + 1];
      d.page = next || sectionId;
      if (next) { saveDraft(d).then(function () { location.hash = '#case-' + c.id + '/q/' + next; }); return; }
      finish(c, d, now);
    });
    view.appendChild(page);
    window.scrollTo(0, 0);
  }

  /* the questions of a page and the options each offers */
  function signature(items, env) {
    return items.map(function (i) {
      return i.id + ':' + KX.offered(i.options, env).map(function (o) { return o.code; }).join(',');
    }).join(' ');
  }

  function finish(c, d, visibility) {
    var id = (crypto.randomUUID ? crypto.randomUUID() : b64(crypto.getRandomValues(new Uint8Array(16))).replace(/[^A-Za-z0-9]/g, '')) ;
    var pages = visibility.sections.map(function (s) {
      var answers = {};
      s.items.forEach(function (i) { i.variables.forEach(function (v) { if (KX.isAnswered(visibility.answers[v])) answers[v] = visibility.answers[v]; }); });
      return { page: s.section.id, answers: answers };
    });
    var entry = { case_id: c.id, household: c.household_id, state: 'waiting', reason: '', payload: {
      instance_id: 'uuid:' + id, case_id: c.id, base_revision: d.base_revision, roster: d.roster,
      selected: d.selected, pages: pages, language: LANG } };
    state.outbox[entry.payload.instance_id] = entry;
    put('outbox:' + entry.payload.instance_id, entry).then(function () {
      d.done = true; return saveDraft(d);
    }).then(function () {
      say(t('off_done')); location.hash = '#'; renderOutbox(); sync();
    });
  }

  /* -- routing and start --------------------------------------------------------------- */
  function route() {
    if (!state.bundle) return;
    var m = /^#case-(\d+)(?:\/q\/(.+))?$/.exec(location.hash);
    var c = m && state.bundle.cases.filter(function (x) { return x.id === parseInt(m[1], 10); })[0];
    if (!c) { renderList(); return; }
    if (m[2]) renderPage(c, decodeURIComponent(m[2])); else renderCase(c);
  }

  function start() {
    showNet();
    window.addEventListener('online', function () { showNet(); refreshBundle().catch(function () {}).then(sync); });
    window.addEventListener('offline', showNet);
    window.addEventListener('hashchange', function () { say(''); route(); });
    document.getElementById('sync-now').addEventListener('click', sync);
    document.getElementById('logout').addEventListener('click', function (ev) {
      ev.preventDefault();
      var unsent = Object.keys(state.outbox).filter(function (k) { return state.outbox[k].state === 'waiting'; }).length
        + Object.keys(state.drafts).filter(function (k) { return !state.drafts[k].done; }).length;
      if (unsent && !window.confirm(t('off_logout_unsent', { n: unsent }))) return;
      wipe().then(function () {
        say(t('off_wiped'));
        if (navigator.onLine) document.getElementById('logout-form').submit();
      });
    });
    if ('serviceWorker' in navigator) navigator.serviceWorker.register(app.dataset.sw).catch(function () {});
    setInterval(function () { showNet(); sync(); }, 15000);
    unlock().then(function () {
      return getAll();
    }).then(function (rows) {
      rows.forEach(function (kv) {
        if (kv[0] === 'bundle') state.bundle = kv[1];
        else if (kv[0].indexOf('draft:') === 0) state.drafts[kv[1].case_id] = kv[1];
        else if (kv[0].indexOf('outbox:') === 0) state.outbox[kv[0].slice(7)] = kv[1];
      });
      return navigator.onLine ? refreshBundle().catch(function () {}) : null;
    }).then(function () {
      renderOutbox(); route(); return sync();
    }).catch(function (err) {
      say(err && err.login ? t('off_locked') : t('off_locked'));
    });
  }
  start();
})();
