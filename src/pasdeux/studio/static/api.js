// Talking to the studio's API, shared state between panels, and messages to the user.

export const bus = new EventTarget();
export const state = { library: { motions: [], models: [] }, modes: { modes: [], settings: {} }, current: null,
  viewer: null, payload: null,
  selection: { dancer: 0, start_s: 0, length_s: 2, start: 0, frames: 1 }, phrase: null, phraseA: null, phraseB: null };

export function emit(name, detail) { bus.dispatchEvent(new CustomEvent(name, { detail })); }
export function on(name, fn) { bus.addEventListener(name, (e) => fn(e.detail)); }
export const $ = (id) => document.getElementById(id);

// The message a failed request carries: FastAPI's `detail` (a string, or a list of field errors).
function detailOf(body, status) {
  const d = body && body.detail;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return d.map((e) => `${(e.loc || []).slice(1).join('.')}: ${e.msg}`).join('; ');
  return `the studio answered ${status}`;
}

export async function api(method, url, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  let res;
  try { res = await fetch(url, init); } catch (err) { throw new Error(`the studio is not answering (${err.message})`); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) { const e = new Error(detailOf(data, res.status)); e.status = res.status; throw e; }
  return data;
}

export function q(params) {
  return Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export function say(text, error = false) {
  const box = $('messages');
  const m = document.createElement('div');
  m.className = error ? 'msg error' : 'msg';
  m.textContent = text;
  box.prepend(m);
  while (box.children.length > 3) box.lastChild.remove();
  setTimeout(() => m.remove(), error ? 15000 : 5000);
}

// Show a request's progress and outcome in a panel's status line; returns the result (or null on failure).
export async function withStatus(statusEl, busyText, button, fn) {
  statusEl.className = 'status busy';
  statusEl.textContent = busyText;
  if (button) button.disabled = true;
  try {
    const out = await fn();
    statusEl.className = 'status';
    statusEl.textContent = '';
    return out;
  } catch (err) {
    statusEl.className = 'status error';
    statusEl.textContent = err.message;
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v; else if (k === 'dataset') Object.assign(node.dataset, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function seconds(frames, fps) { return `${(frames / fps).toFixed(2)} s`; }
