'use strict';
const id = new URLSearchParams(location.search).get('id');
const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
let survey = null;
let token = sessionStorage.getItem('wenming-token');
// One key per page load: a double tap or a retry after a dropped connection stores one response.
const idempotencyKey = 'survey-' + id + '-' + Date.now().toString(36) + Math.random().toString(36).slice(2);

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  if (method === 'POST' && path.endsWith('/responses')) headers['idempotency-key'] = idempotencyKey;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

function fail(message) { $('#meta').textContent = message; }

// ---- Rendering: one block per question type; every input carries its question key.
function choiceInputs(q, type) {
  return q.options.map((o) => el('label', { className: 'opt' },
    el('input', { type, name: q.key, value: o.key }), ' ' + o.label));
}
function questionBody(q) {
  switch (q.type) {
    case 'single_choice': return choiceInputs(q, 'radio');
    case 'multiple_choice': return [el('div', { className: 'hint', textContent: `选择 ${q.min_selections}–${q.max_selections} 项` }), ...choiceInputs(q, 'checkbox')];
    case 'short_text': return [el('input', { type: 'text', name: q.key, maxLength: q.max_length })];
    case 'long_text': return [el('textarea', { name: q.key, maxLength: q.max_length })];
    case 'number': {
      const range = [q.min !== null ? '≥ ' + q.min : '', q.max !== null ? '≤ ' + q.max : ''].filter(Boolean).join('，');
      return [el('input', { type: 'number', name: q.key, step: q.integer ? '1' : 'any' }), el('div', { className: 'hint', textContent: range })];
    }
    case 'rating': {
      const labels = [];
      for (let v = 1; v <= q.scale; v++) labels.push(el('label', { className: 'opt inline' }, el('input', { type: 'radio', name: q.key, value: String(v) }), ' ' + v));
      return labels;
    }
    case 'matrix': {
      const head = el('tr', {}, el('th'), ...q.columns.map((c) => el('th', { textContent: c.label })));
      const rows = q.rows.map((r) => el('tr', {}, el('td', { textContent: r.label }),
        ...q.columns.map((c) => el('td', {}, el('input', { type: 'radio', name: q.key + '.' + r.key, value: c.key })))));
      const errs = q.rows.map((r) => { const e = el('div', { className: 'err' }); e.dataset.for = 'answers.' + q.key + '.' + r.key; return e; });
      return [el('table', {}, head, ...rows), ...errs];
    }
    case 'date': return [el('input', { type: 'date', name: q.key, min: q.min_date || '', max: q.max_date || '' })];
  }
  return [];
}
function render() {
  const box = $('#sections');
  for (const s of survey.sections) {
    const card = el('div', { className: 'card' }, el('h2', { textContent: s.title }));
    if (s.description) card.append(el('p', { className: 'hint', textContent: s.description }));
    for (const q of s.questions) {
      const block = el('div', { className: 'q' });
      block.dataset.key = q.key;
      block.append(el('div', { className: 'title' }, q.title, q.required ? el('span', { className: 'req', textContent: ' *' }) : ''));
      if (q.description) block.append(el('div', { className: 'hint', textContent: q.description }));
      const err = el('div', { className: 'err' });
      err.dataset.for = 'answers.' + q.key;
      block.append(...questionBody(q), err);
      card.append(block);
    }
    box.append(card);
  }
  $('#form').addEventListener('change', applyConditions);
  applyConditions();
}

// ---- Answers as the API takes them, and display conditions evaluated the way the server does:
// a question shows when the earlier choice question it names is shown and answered with one of
// the listed options.
const questions = () => survey.sections.flatMap((s) => s.questions);
function answerOf(q) {
  const form = $('#form');
  switch (q.type) {
    case 'single_choice': { const c = form.querySelector(`input[name="${q.key}"]:checked`); return c ? c.value : undefined; }
    case 'multiple_choice': { const c = [...form.querySelectorAll(`input[name="${q.key}"]:checked`)].map((i) => i.value); return c.length ? c : undefined; }
    case 'rating': { const c = form.querySelector(`input[name="${q.key}"]:checked`); return c ? Number(c.value) : undefined; }
    case 'number': { const v = form.querySelector(`[name="${q.key}"]`).value.trim(); return v === '' ? undefined : Number(v); }
    case 'matrix': {
      const out = {};
      for (const r of q.rows) { const c = form.querySelector(`input[name="${q.key}.${r.key}"]:checked`); if (c) out[r.key] = c.value; }
      return Object.keys(out).length ? out : undefined;
    }
    default: { const v = form.querySelector(`[name="${q.key}"]`).value; return v.trim() === '' ? undefined : v; }
  }
}
function shownMap() {
  const shown = {};
  for (const q of questions()) {
    const c = q.show_if;
    if (!c) { shown[q.key] = true; continue; }
    const a = shown[c.question] ? answerOf(questions().find((x) => x.key === c.question)) : undefined;
    shown[q.key] = Array.isArray(a) ? a.some((o) => c.any_of.includes(o)) : c.any_of.includes(a);
  }
  return shown;
}
function applyConditions() {
  const shown = shownMap();
  for (const block of document.querySelectorAll('.q')) block.hidden = !shown[block.dataset.key];
}

function showErrors(fields) {
  for (const e of document.querySelectorAll('[data-for]')) e.textContent = '';
  let unplaced = [];
  for (const f of fields) {
    const target = document.querySelector(`[data-for="${CSS.escape(f.field)}"]`);
    if (target) target.textContent = f.message; else unplaced.push(f.field + ': ' + f.message);
  }
  $('#form-err').textContent = unplaced.join('；');
  const first = document.querySelector('[data-for]:not(:empty)');
  if (first) first.scrollIntoView({ behavior: 'smooth', block: 'center' });
}

async function submit(ev) {
  ev.preventDefault();
  const shown = shownMap();
  const answers = {};
  for (const q of questions()) { const a = shown[q.key] ? answerOf(q) : undefined; if (a !== undefined) answers[q.key] = a; }
  const body = { answers };
  if (!$('#where').hidden && $('#org').value) body.org_id = Number($('#org').value);
  if (survey.one_per === 'household') body.household_key = $('#household_key').value;
  $('#submit').disabled = true;
  const r = await api('POST', `/api/v1/surveys/${id}/responses`, body).catch(() => ({ status: 0 }));
  $('#submit').disabled = false;
  if (r.status === 201) { $('#form').hidden = true; $('#done').hidden = false; return; }
  if (r.status === 401) { token = null; sessionStorage.removeItem('wenming-token'); $('#signin').hidden = false; }
  const err = r.body && r.body.error;
  if (!err) { $('#form-err').textContent = '网络错误，请重试 network error, try again'; return; }
  showErrors(err.fields || (err.field ? [{ field: err.field, message: err.message }] : []));
  if (!err.fields && !err.field) $('#form-err').textContent = err.message;
}

// ---- Sign-in by SMS code, then where the resident lives (residents surveys).
async function afterSignIn() {
  $('#signin').hidden = true;
  $('#form').hidden = false;
  if (survey.one_per === 'household') $('#household').hidden = false;
  if (survey.audience !== 'residents') return;
  const r = await api('GET', `/api/v1/orgs/tree?under=${survey.org.id}`);
  if (r.status === 401) { token = null; sessionStorage.removeItem('wenming-token'); $('#signin').hidden = false; $('#form').hidden = true; return; }
  const select = $('#org');
  select.append(el('option', { value: '', textContent: '请选择 choose' }));
  (function walk(node, depth) {
    if (['institute', 'station', 'point'].includes(node.level)) select.append(el('option', { value: String(node.id), textContent: '　'.repeat(depth) + node.name }));
    for (const c of node.children || []) walk(c, depth + 1);
  })(Array.isArray(r.body) ? { children: r.body } : r.body, 0);
  $('#where').hidden = false;
}
$('#send').addEventListener('click', async () => {
  const r = await api('POST', '/api/v1/sms-codes', { phone: $('#phone').value.trim() });
  $('#signin-err').textContent = r.status === 202 ? '验证码已发送 code sent' : (r.body && r.body.error ? r.body.error.message : '发送失败');
});
$('#login').addEventListener('click', async () => {
  const r = await api('POST', '/api/v1/sessions', { phone: $('#phone').value.trim(), code: $('#code').value.trim() });
  if (r.status === 201) { token = r.body.token; sessionStorage.setItem('wenming-token', token); afterSignIn(); }
  else $('#signin-err').textContent = r.body && r.body.error ? r.body.error.message : '登录失败';
});
$('#form').addEventListener('submit', submit);

(async () => {
  if (!id || !/^[1-9][0-9]*$/.test(id)) return fail('链接不完整：缺少调查编号 (?id=)');
  const r = await api('GET', `/api/v1/surveys/${id}/form`).catch(() => ({ status: 0 }));
  if (r.status !== 200) return fail(r.status === 404 ? '没有这项调查 no such survey' : '无法连接 unreachable');
  survey = r.body;
  document.title = survey.title + ' · 需求调查';
  $('#title').textContent = survey.title;
  const fmt = (t) => t.slice(0, 16).replace('T', ' ');
  $('#meta').textContent = `${survey.org.name} · ${fmt(survey.opens_at)} 至 ${fmt(survey.closes_at)}` + (survey.anonymous ? ' · 匿名' : '');
  if (survey.description) { $('#intro').hidden = false; $('#intro').append(el('p', { textContent: survey.description })); }
  render();
  if (!survey.accepting) {
    $('#intro').hidden = false;
    $('#intro').append(el('p', { className: 'err', textContent: survey.status === 'closed' ? '调查已结束 this survey has closed' : '调查尚未开始 not open yet' }));
    return;
  }
  if (token) afterSignIn(); else $('#signin').hidden = false;
})();
