// pasdeux studio: wires the panels together (each lives in its own module).
import { on, say } from './api.js';
import * as compare from './compare.js';
import * as generate from './generate.js';
import * as library from './library.js';
import * as stage from './stage.js';
import * as train from './train.js';

function showTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const p of document.querySelectorAll('[data-pane]')) p.hidden = p.dataset.pane !== name;
}

async function main() {
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  on('tab', showTab);
  library.setup();
  stage.setup();
  await generate.setup();
  compare.setup();
  await train.setup();
  await library.refresh();
  document.body.dataset.ready = 'true';
}

main().catch((err) => say(`the studio could not start: ${err.message}`, true));
