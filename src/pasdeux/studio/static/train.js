// The train panel: start a run from a recipe on library files, watch its progress and loss curve, stop, resume.
import { $, api, el, emit, on, q, say, state, withStatus } from './api.js';
import { confirmTwice, disarm, refresh, trash } from './library.js';

let recipes = [];
let selected = null;  // library path of the run shown
let timer = 0;
let lastState = '';

function renderFiles() {
  const box = $('train-files');
  const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  const motions = state.library.motions.filter((m) => m.kind !== 'unreadable');
  box.replaceChildren(...motions.map((m) => el('label', {},
    el('input', { type: 'checkbox', value: m.path, checked: checked.has(m.path) }), ` ${m.path}`)));
  if (!motions.length) box.append(el('span', { class: 'muted', textContent: 'add motion files first' }));
}

function renderRuns() {
  const runs = state.library.models.filter((m) => m.kind === 'run');
  $('run-list').replaceChildren(...runs.map((r) => {
    const st = (r.status && r.status.state) || 'unknown';
    return el('li', { class: r.path === selected ? 'current' : '', dataset: { path: r.path }, onclick: () => select(r.path) },
      el('div', { class: 'name' }, r.path, el('span', { class: `badge ${st}`, textContent: st })));
  }));
}

function overrides() {
  return $('train-overrides').value.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
}

async function start() {
  const files = [...$('train-files').querySelectorAll('input:checked')].map((i) => i.value);
  const b = { recipe: $('train-recipe').value, files, overrides: overrides() };
  if ($('train-epochs').value) b.epochs = Number($('train-epochs').value);
  else if ($('train-budget').value) b.budget_s = Number($('train-budget').value);
  if ($('train-name').value.trim()) b.name = $('train-name').value.trim();
  const out = await withStatus($('train-status'), 'starting…', $('train-start'), () => api('POST', '/api/runs', b));
  if (!out) return;
  say(`training ${out.path}`);
  await refresh();
  select(out.path);
}

export function select(path) {
  selected = path;
  lastState = '';
  disarm($('run-delete'));
  $('run-panel').hidden = false;
  $('run-title').textContent = path;
  renderRuns();
  poll();
}

async function poll() {
  clearTimeout(timer);
  if (!selected) return;
  const path = selected;
  let info;
  try { info = await api('GET', `/api/runs/status?${q({ path })}`); } catch (err) {
    $('run-state').className = 'status error'; $('run-state').textContent = err.message; return;
  }
  if (path !== selected) return;
  show(info);
  const st = info.status.state;
  if (st !== lastState && lastState) await refresh();  // a run that ends gains its model in the listing
  lastState = st;
  if (st === 'running' || st === 'stopping') timer = setTimeout(poll, 1000);
}

function show(info) {
  const s = info.status, st = s.state;
  // While it does not step (validating, fitting the prior, saving), the run says so in words.
  const parts = [st === 'running' && s.phase ? `${st}: ${s.phase}` : st];
  if (s.step !== undefined) parts.push(`step ${s.step}`);
  if (s.elapsed_s !== undefined) parts.push(`${Number(s.elapsed_s).toFixed(0)} s`);
  if (s.budget_s) parts.push(`of a ${Number(s.budget_s).toFixed(0)} s budget`);
  const m = s.metrics || {};
  for (const k of ['loss', 'val_recon_mse']) if (m[k] !== undefined) parts.push(`${k} ${Number(m[k]).toPrecision(3)}`);
  const box = $('run-state');
  box.className = st === 'failed' ? 'status error' : 'status';
  box.textContent = parts.join(' · ') + (s.message ? `\n${s.message}` : '');
  const done = st === 'done' ? 1 : (s.budget_s && s.elapsed_s ? Math.min(1, s.elapsed_s / s.budget_s) : 0);
  $('run-progress').style.width = `${100 * done}%`;
  $('run-progress').classList.toggle('finishing', st === 'running' && Boolean(s.phase));
  $('run-stop').disabled = !(st === 'running');
  $('run-resume').disabled = st === 'running' || st === 'stopping' || !info.has_checkpoint;
  $('run-log').textContent = info.log;
  drawChart($('run-chart'), info.losses);
}

export function drawChart(canvas, losses) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = 34;
  ctx.clearRect(0, 0, w, h);
  const series = [['train loss', losses.train, '#1f5fbf'], ['val recon_mse', losses.val, '#e07b1f']]
    .filter(([, pts]) => pts && pts.length);
  ctx.fillStyle = '#77756f'; ctx.font = '11px system-ui';
  if (!series.length) { ctx.fillText('the loss curve appears once training logs its first steps', 12, h / 2); return; }
  const all = series.flatMap(([, pts]) => pts), xs = all.map((p) => p[0]), ys = all.map((p) => Math.log10(Math.max(p[1], 1e-12)));
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 0.2) { const mid = (y0 + y1) / 2; y0 = mid - 0.1; y1 = mid + 0.1; }  // a flat curve stays readable
  const X = (x) => pad + ((x - x0) / (x1 - x0)) * (w - pad - 10), Y = (y) => h - pad + 10 - ((y - y0) / (y1 - y0)) * (h - pad - 10);
  ctx.strokeStyle = '#dedcd5'; ctx.beginPath(); ctx.moveTo(pad, 6); ctx.lineTo(pad, h - pad + 10); ctx.lineTo(w - 6, h - pad + 10); ctx.stroke();
  ctx.fillText((10 ** y1).toPrecision(2), 2, 14); ctx.fillText((10 ** y0).toPrecision(2), 2, h - pad + 8);
  ctx.fillText(`step ${x0}`, pad, h - 8); ctx.fillText(`${x1}`, w - 40, h - 8);
  series.forEach(([label, pts, color], k) => {
    ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
    pts.forEach(([x, y], i) => { const px = X(x), py = Y(Math.log10(Math.max(y, 1e-12))); if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
    ctx.stroke();
    if (pts.length === 1) { ctx.fillStyle = color; ctx.fillRect(X(pts[0][0]) - 2, Y(Math.log10(pts[0][1])) - 2, 4, 4); }
    ctx.fillStyle = 'rgba(251, 250, 247, 0.9)'; ctx.fillRect(pad + 6, 6 + 14 * k, 96, 13);
    ctx.fillStyle = color; ctx.fillText(label, pad + 10, 16 + 14 * k);
  });
}

export async function setup() {
  recipes = await api('GET', '/api/recipes');
  $('train-recipe').replaceChildren(...recipes.map((r) => el('option', { value: r.name, textContent: r.name })));
  const showRecipe = () => { const r = recipes.find((x) => x.name === $('train-recipe').value); $('train-recipe-text').textContent = r ? r.text : ''; };
  $('train-recipe').addEventListener('change', showRecipe);
  showRecipe();
  $('train-start').addEventListener('click', start);
  $('run-stop').addEventListener('click', async () => {
    try { await api('POST', '/api/runs/stop', { path: selected }); say(`stopping ${selected}`); poll(); } catch (err) { say(err.message, true); }
  });
  $('run-resume').addEventListener('click', async () => {
    try {
      await api('POST', '/api/runs/resume', { path: selected, more_s: Number($('run-more').value) || undefined });
      say(`resuming ${selected}`); lastState = ''; poll();
    } catch (err) { say(err.message, true); }
  });
  const del = $('run-delete');
  del.addEventListener('click', () => {
    if (!selected) return;
    const path = selected;
    confirmTwice(del, path, `Move ${path.split('/').pop()} to the trash?`, async () => {
      if (!(await trash(path))) return;
      selected = null; clearTimeout(timer);
      $('run-panel').hidden = true;
      await refresh();
    });
  });
  on('library', () => { renderFiles(); renderRuns(); });
  on('run-selected', (path) => { emit('tab', 'train'); select(path); });
}
