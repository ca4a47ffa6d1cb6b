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

// Why a running clock stands past its budget: the budget stops the stepping, never the finish the model needs.
function pastBudget(s) {
  if (s.step === undefined) return 'preparing has taken longer than the whole budget on this machine: the run will take one step, then finish';
  return 'past its budget: stepping has stopped, the run finishes what a model needs (validating, fitting the prior, saving)';
}

function show(info) {
  const s = info.status, st = s.state;
  // While it does not step (validating, fitting the prior, saving), the run says so in words.
  const parts = [st === 'running' && s.phase ? `${st}: ${s.phase}` : st];
  if (s.step !== undefined) parts.push(`step ${s.step}`);
  if (s.elapsed_s !== undefined) parts.push(`${Number(s.elapsed_s).toFixed(0)} s`);
  if (s.budget_s) parts.push(`of a ${Number(s.budget_s).toFixed(0)} s budget`);
  if (st === 'running' && s.budget_s && s.elapsed_s > s.budget_s) parts.push(pastBudget(s));
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

// Train and validation loss each in its own panel on its own scale: they differ by orders of magnitude and
// fall by a few per cent late in a run, which one shared (log) axis flattens into two straight lines.
export function drawChart(canvas, losses) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui';
  const series = [['train loss', losses.train, '#1f5fbf'], ['validation recon_mse', losses.val, '#e07b1f']]
    .filter(([, pts]) => pts && pts.length);
  if (!series.length) {
    ctx.fillStyle = '#77756f';
    ctx.fillText('no loss logged yet: training logs it every train.log_every_steps steps', 12, h / 2);
    return;
  }
  const xs = series.flatMap(([, pts]) => pts.map((p) => p[0]));
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const panel = (h - 18) / series.length;
  series.forEach(([label, pts, color], k) => drawPanel(ctx, { label, pts, color, x0, x1, w, top: k * panel, height: panel }));
  ctx.fillStyle = '#77756f';
  ctx.fillText(`step ${x0}`, 44, h - 4);
  ctx.fillText(`${x1}`, w - 40, h - 4);
}

// The scale of one panel, from all its values (nothing is cut off): a log scale when they span more than
// 20 times (a loss falling from its first steps), so the later, smaller changes still show; else linear.
function scale(values) {
  let lo = Math.min(...values), hi = Math.max(...values);
  const log = lo > 0 && hi / lo > 20;
  if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
  if (hi - lo < 1e-9 * Math.max(1, Math.abs(hi))) { const pad = 0.01 * Math.abs(hi) || 1e-6; lo -= pad; hi += pad; }  // flat
  const margin = 0.06 * (hi - lo);
  lo = !log && lo >= 0 ? Math.max(0, lo - margin) : lo - margin;  // a loss axis does not go below 0
  hi += margin;
  return { log, lo, hi, at: (v) => (log ? Math.log10(Math.max(v, 1e-12)) : v), value: (t) => (log ? 10 ** t : t) };
}

function drawPanel(ctx, { label, pts, color, x0, x1, w, top, height }) {
  const left = 44, right = w - 8, y0 = top + 16, y1 = top + height - 6;
  const sc = scale(pts.map((p) => p[1]));
  const X = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const Y = (v) => y1 - ((sc.at(v) - sc.lo) / (sc.hi - sc.lo)) * (y1 - y0);
  ctx.strokeStyle = '#dedcd5'; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(left, y0); ctx.lineTo(left, y1); ctx.lineTo(right, y1); ctx.stroke();
  ctx.fillStyle = '#4a4843';
  const last = pts[pts.length - 1][1];
  ctx.fillText(`${label} (${sc.log ? 'log scale, ' : ''}latest ${Number(last).toPrecision(3)})`, left + 4, top + 11);
  ctx.fillStyle = '#77756f';
  ctx.fillText(Number(sc.value(sc.hi)).toPrecision(3), 2, y0 + 8);
  ctx.fillText(Number(sc.value(sc.lo)).toPrecision(3), 2, y1);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 1.5;
  if (pts.length === 1) { ctx.fillRect(X(pts[0][0]) - 2, Y(pts[0][1]) - 2, 4, 4); return; }
  ctx.beginPath();
  pts.forEach(([x, v], i) => { if (i) ctx.lineTo(X(x), Y(v)); else ctx.moveTo(X(x), Y(v)); });
  ctx.stroke();
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
  on('paired', (path) => {  // a duet just paired is what the duet recipe trains on
    if (recipes.some((r) => r.name === 'duet')) { $('train-recipe').value = 'duet'; showRecipe(); }
    for (const box of $('train-files').querySelectorAll('input')) box.checked = box.value === path;
  });
  on('run-selected', (path) => { emit('tab', 'train'); select(path); });
}
