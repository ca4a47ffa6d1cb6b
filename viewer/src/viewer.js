// The pasdeux 3D motion viewer: a reusable component fed with the JSON payload of
// pasdeux.viz.viewer.motion_payload(). Usage: PasdeuxViewer.createViewer(containerElement, payload).
// Bones are instanced cylinders and joints instanced spheres whose matrices are rewritten in place every
// frame, so playback allocates nothing and a duet draws in a handful of draw calls.

import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import css from './viewer.css';

const UP = new THREE.Vector3(0, 1, 0);
const SPEEDS = [0.25, 0.5, 1, 1.5, 2];
const BONE_RADIUS = 0.022;
const JOINT_RADIUS = 0.03;
const HEAD_RADIUS = 0.1;
const GHOST_OPACITY = 0.38;
const BACKGROUND = 0xf4f3ef;

function injectStyle() {
  if (document.getElementById('pdx-viewer-style')) return;
  const style = document.createElement('style');
  style.id = 'pdx-viewer-style';
  style.textContent = css;
  document.head.appendChild(style);
}

// int16 little-endian base64 -> Float32Array of metres, NaN where the joint is missing.
function decodePositions(b64, quant, missing) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const ints = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  const out = new Float32Array(ints.length);
  const [ox, oy, oz] = quant.origin;
  const origin = [ox, oy, oz];
  for (let i = 0; i < ints.length; i++) {
    out[i] = ints[i] === missing ? NaN : ints[i] * quant.scale + origin[i % 3];
  }
  return out;
}

function el(tag, cls, parent, props = {}) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  Object.assign(node, props);
  if (parent) parent.appendChild(node);
  return node;
}

// One drawn body: instanced bones and joints plus a head sphere and a soft floor shadow.
class Figure {
  constructor(spec, skeleton, frames, quant, missing, floorY, scale) {
    this.spec = spec;
    this.nJoints = skeleton.joints.length;
    this.bones = Int32Array.from(skeleton.bones.flat());
    this.head = skeleton.head;
    this.isHead = new Uint8Array(this.nJoints); // the head sphere stands for these joints
    for (const j of skeleton.head) this.isHead[j] = 1;
    this.frames = frames;
    this.data = decodePositions(spec.positions, quant, missing);
    this.pose = new Float32Array(this.nJoints * 3);
    this.floorY = floorY;
    const ghost = spec.ghost;
    const material = new THREE.MeshStandardMaterial({
      color: new THREE.Color(spec.color), roughness: 0.55, metalness: 0.0,
      transparent: ghost, opacity: ghost ? GHOST_OPACITY : 1, depthWrite: !ghost,
    });
    this.material = material;
    const boneGeo = new THREE.CylinderGeometry(BONE_RADIUS * scale, BONE_RADIUS * scale, 1, 12, 1).translate(0, 0.5, 0);
    const jointGeo = new THREE.SphereGeometry(JOINT_RADIUS * scale, 14, 10);
    this.boneMesh = new THREE.InstancedMesh(boneGeo, material, this.bones.length / 2);
    this.jointMesh = new THREE.InstancedMesh(jointGeo, material, this.nJoints);
    this.headMesh = new THREE.Mesh(new THREE.SphereGeometry(HEAD_RADIUS * scale, 24, 16), material);
    for (const m of [this.boneMesh, this.jointMesh]) {
      m.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      m.frustumCulled = false; // instances move far from the geometry's own bounds
    }
    this.shadow = new THREE.Mesh(
      new THREE.CircleGeometry(0.28 * scale, 32).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: 0x000000, transparent: true, opacity: ghost ? 0.04 : 0.1,
        depthWrite: false }));
    this.group = new THREE.Group();
    this.group.add(this.boneMesh, this.jointMesh, this.headMesh, this.shadow);
    if (ghost) this.addDepthPrepass();
    // Scratch objects reused every frame: no allocation while playing.
    this._a = new THREE.Vector3(); this._b = new THREE.Vector3(); this._d = new THREE.Vector3();
    this._q = new THREE.Quaternion(); this._s = new THREE.Vector3(); this._m = new THREE.Matrix4();
    this._zero = new THREE.Matrix4().makeScale(0, 0, 0);
  }

  // A ghost first writes only depth, then draws colour where it is nearest: each pixel blends the ghost
  // once, so it reads as one even translucent body instead of darker blots where its parts overlap.
  // Both passes sit in the transparent queue so the solid dancers behind the ghost still show through.
  addDepthPrepass() {
    const depthOnly = new THREE.MeshBasicMaterial({ colorWrite: false, transparent: true, depthWrite: true });
    this.material.depthWrite = false;
    this.material.depthFunc = THREE.LessEqualDepth;
    for (const mesh of [this.boneMesh, this.jointMesh, this.headMesh]) {
      const twin = mesh.isInstancedMesh ? new THREE.InstancedMesh(mesh.geometry, depthOnly, mesh.count)
        : new THREE.Mesh(mesh.geometry, depthOnly);
      if (mesh.isInstancedMesh) {
        twin.instanceMatrix = mesh.instanceMatrix; // shares the matrices written each frame
        twin.frustumCulled = false;
      } else {
        twin.position.copy(mesh.position);
        mesh.userData.depthTwin = twin;
      }
      twin.renderOrder = 1;
      mesh.renderOrder = 2;
      this.group.add(twin);
    }
    this.depthMaterial = depthOnly;
  }

  // Linear interpolation between frames i0 and i0+1 (w in [0,1)); a joint missing in one keeps the other.
  interpolate(i0, w) {
    const n = this.nJoints * 3;
    const i1 = Math.min(i0 + 1, this.frames - 1);
    const a = this.data, o0 = i0 * n, o1 = i1 * n, p = this.pose;
    for (let k = 0; k < n; k++) {
      const x = a[o0 + k], y = a[o1 + k];
      p[k] = Number.isNaN(y) ? x : Number.isNaN(x) ? y : x + (y - x) * w;
    }
  }

  update(i0, w) {
    this.interpolate(i0, w);
    const p = this.pose, a = this._a, b = this._b, d = this._d, m = this._m;
    for (let k = 0; k < this.bones.length; k += 2) {
      const ja = this.bones[k] * 3, jb = this.bones[k + 1] * 3;
      a.set(p[ja], p[ja + 1], p[ja + 2]);
      b.set(p[jb], p[jb + 1], p[jb + 2]);
      d.subVectors(b, a);
      const len = d.length();
      if (!(len > 1e-6)) { this.boneMesh.setMatrixAt(k >> 1, this._zero); continue; } // NaN or zero length
      this._q.setFromUnitVectors(UP, d.divideScalar(len));
      m.compose(a, this._q, this._s.set(1, len, 1));
      this.boneMesh.setMatrixAt(k >> 1, m);
    }
    let cx = 0, cz = 0, n = 0;
    for (let j = 0; j < this.nJoints; j++) {
      const x = p[3 * j], y = p[3 * j + 1], z = p[3 * j + 2];
      if (Number.isNaN(x + y + z)) { this.jointMesh.setMatrixAt(j, this._zero); continue; }
      cx += x; cz += z; n++;
      if (this.isHead[j] && this.head.length > 0) { this.jointMesh.setMatrixAt(j, this._zero); continue; }
      m.makeTranslation(x, y, z);
      this.jointMesh.setMatrixAt(j, m);
    }
    this.boneMesh.instanceMatrix.needsUpdate = true;
    this.jointMesh.instanceMatrix.needsUpdate = true;
    this.shadow.visible = n > 0;
    if (n > 0) this.shadow.position.set(cx / n, this.floorY + 0.002, cz / n);
    this.placeHead();
  }

  placeHead() {
    let x = 0, y = 0, z = 0, n = 0;
    for (const j of this.head) {
      const px = this.pose[3 * j], py = this.pose[3 * j + 1], pz = this.pose[3 * j + 2];
      if (Number.isNaN(px + py + pz)) continue;
      x += px; y += py; z += pz; n++;
    }
    this.headMesh.visible = n > 0;
    if (n > 0) this.headMesh.position.set(x / n, y / n, z / n);
    const twin = this.headMesh.userData.depthTwin;
    if (twin) { twin.visible = n > 0; twin.position.copy(this.headMesh.position); }
  }

  dispose() {
    this.group.traverse((o) => { if (o.geometry) o.geometry.dispose(); if (o.material) o.material.dispose(); });
  }
}

function buildStage(scene, payload) {
  const [lo, hi] = payload.bounds;
  const floorY = payload.floor;
  const span = Math.max(hi[0] - lo[0], hi[2] - lo[2], 2) + 1;
  const size = Math.ceil(span / 0.5) * 0.5;
  const cx = (lo[0] + hi[0]) / 2, cz = (lo[2] + hi[2]) / 2;
  const grid = new THREE.GridHelper(size, Math.round(size / 0.5), 0xb8b8b4, 0xd6d6d2);
  grid.position.set(cx, floorY, cz);
  const floor = new THREE.Mesh(new THREE.CircleGeometry(size * 0.72, 96).rotateX(-Math.PI / 2),
    new THREE.MeshBasicMaterial({ color: 0xe9e8e3, polygonOffset: true, polygonOffsetFactor: 1,
      polygonOffsetUnits: 1 }));
  floor.position.set(cx, floorY - 0.001, cz);
  scene.add(floor, grid);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8a80, 2.0));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(2, 5, 4);
  scene.add(sun);
}

// Place the camera in front (+z), a little right and above, as close as keeps every pose of the clip in view.
function frameCamera(camera, controls, payload, figures) {
  const [lo, hi] = payload.bounds;
  const centre = new THREE.Vector3((lo[0] + hi[0]) / 2, (payload.floor + hi[1]) / 2, (lo[2] + hi[2]) / 2);
  const dir = new THREE.Vector3(0.3, 0.16, 1).normalize();
  const sample = [];
  for (const f of figures) {
    const step = 3 * f.nJoints * Math.max(1, Math.floor(f.frames / 150));
    for (let i = 0; i + 3 * f.nJoints <= f.data.length; i += step) {
      for (let k = i; k < i + 3 * f.nJoints; k += 3) {
        if (!Number.isNaN(f.data[k])) sample.push(new THREE.Vector3(f.data[k], f.data[k + 1], f.data[k + 2]));
      }
    }
  }
  const v = new THREE.Vector3();
  const fits = (dist) => {
    camera.position.copy(centre).addScaledVector(dir, dist);
    camera.lookAt(centre);
    camera.updateMatrixWorld();
    // Leave room for the legend above and the control bar below.
    // A few broken frames (a joint flung far away) may fall outside rather than shrink the whole dance.
    let outside = 0;
    for (const c of sample) {
      v.copy(c).project(camera);
      if (!(Math.abs(v.x) < 0.92 && v.y < 0.82 && v.y > -0.7)) outside++;
    }
    return outside <= 0.002 * sample.length;
  };
  let near = 0.3, far = 80;
  for (let i = 0; i < 30; i++) { const mid = (near + far) / 2; if (fits(mid)) far = mid; else near = mid; }
  fits(far);
  camera.near = far / 100; camera.far = far * 20;
  camera.updateProjectionMatrix();
  controls.target.copy(centre);
  controls.update();
}

function buildUI(root, payload, figures, api) {
  const header = el('div', 'pdx-header', root);
  el('div', 'pdx-title', header, { textContent: payload.title || '', title: payload.title || '' });
  const legend = el('div', 'pdx-legend', header);
  const dancerBoxes = [];
  let ghostBox = null;
  figures.forEach((f, i) => {
    if (f.spec.ghost) return;
    const label = el('label', 'pdx-chip', legend);
    const box = el('input', '', label, { type: 'checkbox', checked: true });
    el('span', 'pdx-swatch', label).style.background = f.spec.color;
    el('span', '', label, { textContent: f.spec.label });
    box.addEventListener('change', () => api.setDancerVisible(dancerBoxes.indexOf(box), box.checked));
    dancerBoxes.push(box);
  });
  const ghosts = figures.filter((f) => f.spec.ghost);
  if (ghosts.length) {
    const label = el('label', 'pdx-chip pdx-ghost', legend);
    ghostBox = el('input', '', label, { type: 'checkbox', checked: true });
    el('span', 'pdx-swatch', label).style.background = ghosts[0].spec.color;
    el('span', '', label, { textContent: ghosts.length > 1 ? 'ghosts' : 'ghost' });
    ghostBox.addEventListener('change', () => api.setGhostVisible(ghostBox.checked));
  }
  const bar = el('div', 'pdx-bar', root);
  const play = el('button', 'pdx-play', bar, { type: 'button', title: 'play / pause (space)' });
  const scrub = el('input', 'pdx-scrub', bar, { type: 'range', min: 0, max: payload.frames - 1, step: 1,
    value: 0, title: 'frame' });
  const time = el('span', 'pdx-time', bar);
  const speed = el('select', 'pdx-speed', bar, { title: 'playback speed' });
  for (const s of SPEEDS) el('option', '', speed, { value: s, textContent: `${s}\u00d7`, selected: s === 1 });
  const loopLabel = el('label', 'pdx-loop', bar, { title: 'loop' });
  const loop = el('input', '', loopLabel, { type: 'checkbox', checked: true });
  el('span', '', loopLabel, { textContent: 'loop' });
  play.addEventListener('click', () => api.toggle());
  scrub.addEventListener('input', () => api.seek(Number(scrub.value)));
  speed.addEventListener('change', () => api.setSpeed(Number(speed.value)));
  loop.addEventListener('change', () => api.setLoop(loop.checked));
  return { play, scrub, time, speed, loop, ghostBox, dancerBoxes };
}

export function createViewer(container, payload, options = {}) {
  injectStyle();
  const root = el('div', 'pdx-viewer', container, { tabIndex: 0 });
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: !!options.preserveDrawingBuffer });
  } catch (err) {
    el('div', 'pdx-error', root, { textContent: `This browser cannot show 3D (WebGL): ${err.message}` });
    throw err;
  }
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  root.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(BACKGROUND);
  const camera = new THREE.PerspectiveCamera(35, 1, 0.01, 100);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = true;
  buildStage(scene, payload);
  const figures = payload.figures.map((spec) => new Figure(spec, payload.skeletons[spec.skeleton],
    payload.frames, payload.quant, payload.missing, payload.floor, payload.body_scale || 1));
  for (const f of figures) scene.add(f.group);

  const nFrames = payload.frames, fps = payload.fps, duration = nFrames / fps;
  const st = { t: 0, playing: options.autoplay !== false && nFrames > 1, speed: 1, loop: true, ghost: true,
    frame: -1, dirty: true, last: null, raf: 0 };
  let ui = null;

  function setTime(t) {
    st.t = Math.min(Math.max(t, 0), (nFrames - 1) / fps);
    st.dirty = true;
  }
  function showFrame() {
    const pos = st.t * fps;
    const i0 = Math.min(Math.floor(pos), nFrames - 1);
    for (const f of figures) if (f.group.visible) f.update(i0, pos - i0);
    if (i0 !== st.frame) {
      st.frame = i0;
      ui.scrub.value = i0;
      ui.time.textContent = `${(payload.t0 + st.t).toFixed(2)} s \u00b7 ${i0 + 1}/${nFrames}`;
    }
    ui.play.textContent = st.playing ? '\u275a\u275a' : '\u25b6';
    ui.play.classList.toggle('pdx-playing', st.playing);
  }
  function tick(now) {
    st.raf = requestAnimationFrame(tick);
    const dt = st.last === null ? 0 : Math.min((now - st.last) / 1000, 0.25);
    st.last = now;
    if (st.playing) {
      let t = st.t + dt * st.speed;
      if (t > (nFrames - 1) / fps) {
        if (st.loop) t = t % duration; else { t = (nFrames - 1) / fps; st.playing = false; }
      }
      setTime(t);
    }
    const moved = controls.update();
    if (st.dirty) showFrame();
    if (st.dirty || moved) renderer.render(scene, camera);
    st.dirty = false;
  }
  function resize() {
    const w = Math.max(root.clientWidth, 1), h = Math.max(root.clientHeight, 1);
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    st.dirty = true;
  }

  const api = {
    play() { if (st.t >= (nFrames - 1) / fps) setTime(0); st.playing = true; st.dirty = true; },
    pause() { st.playing = false; st.dirty = true; },
    toggle() { if (st.playing) api.pause(); else api.play(); },
    seek(frame) { setTime(Math.round(frame) / fps); },
    step(n) { api.pause(); api.seek(Math.min(Math.max(st.frame + n, 0), nFrames - 1)); },
    setSpeed(s) { st.speed = s; if (ui.speed.value !== String(s)) ui.speed.value = String(s); },
    setLoop(on) { st.loop = !!on; ui.loop.checked = st.loop; },
    setGhostVisible(on) {
      st.ghost = !!on;
      for (const f of figures) if (f.spec.ghost) f.group.visible = st.ghost;
      if (ui.ghostBox) ui.ghostBox.checked = st.ghost;
      st.dirty = true;
    },
    setDancerVisible(i, on) {
      const f = figures.filter((g) => !g.spec.ghost)[i];
      if (!f) return;
      f.group.visible = !!on;
      ui.dancerBoxes[i].checked = !!on;
      st.dirty = true;
    },
    state() {
      return { frame: st.frame, frames: nFrames, time: st.t, playing: st.playing, speed: st.speed, loop: st.loop,
        fps, ghostVisible: figures.some((f) => f.spec.ghost) && st.ghost,
        dancersVisible: figures.filter((f) => !f.spec.ghost).map((f) => f.group.visible) };
    },
    // Mean milliseconds per frame to pose every figure and to draw (GPU finished), over n frames of the clip.
    profile(n = 300) {
      const gl = renderer.getContext();
      let pose = 0, draw = 0;
      for (let k = 0; k < n; k++) {
        const t0 = performance.now();
        const i = k % nFrames;
        for (const f of figures) if (f.group.visible) f.update(i, 0.5);
        const t1 = performance.now();
        renderer.render(scene, camera);
        gl.finish();
        draw += performance.now() - t1;
        pose += t1 - t0;
      }
      st.dirty = true;
      return { poseMs: pose / n, drawMs: draw / n, frames: n };
    },
    dispose() {
      cancelAnimationFrame(st.raf);
      observer.disconnect();
      controls.dispose();
      for (const f of figures) f.dispose();
      renderer.dispose();
      root.remove();
    },
  };
  ui = buildUI(root, payload, figures, api);
  root.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT' && e.target.type !== 'checkbox' && e.key !== ' ') return;
    if (e.key === ' ') { api.toggle(); e.preventDefault(); }
    else if (e.key === 'ArrowRight') { api.step(1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft') { api.step(-1); e.preventDefault(); }
  });
  controls.addEventListener('change', () => { st.dirty = true; });
  const observer = new ResizeObserver(resize);
  observer.observe(root);
  resize();
  frameCamera(camera, controls, payload, figures); // after resize: the fit depends on the aspect ratio
  showFrame();
  st.raf = requestAnimationFrame(tick);
  return api;
}
