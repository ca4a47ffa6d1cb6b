// The pasdeux 3D motion viewer: a reusable component fed with the JSON payload of
// pasdeux.viz.viewer.motion_payload(). Usage: PasdeuxViewer.createViewer(containerElement, payload).
// Bones are instanced cylinders and joints instanced spheres whose matrices are rewritten in place every
// frame, so playback allocates nothing and a duet draws in a handful of draw calls.

import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import css from './viewer.css';
import { Figure } from './figure.js';
import { buildUI, el } from './ui.js';
import { createSound } from './sound.js';

const BACKGROUND = 0xf4f3ef;

function injectStyle() {
  if (document.getElementById('pdx-viewer-style')) return;
  const style = document.createElement('style');
  style.id = 'pdx-viewer-style';
  style.textContent = css;
  document.head.appendChild(style);
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
    frame: -1, dirty: true, last: null, raf: 0, follow: false };
  let ui = null;
  const sound = createSound(payload.audio);
  const aim = new THREE.Vector3(), shift = new THREE.Vector3();

  // Follow mode glides the orbit target (and the camera with it) towards the visible dancers' centre.
  function follow(dt) {
    let n = 0;
    aim.set(0, 0, 0);
    for (const f of figures) {
      if (f.spec.ghost || !f.group.visible || !f.shadow.visible) continue;
      aim.x += f.shadow.position.x; aim.z += f.shadow.position.z; n++;
    }
    if (n === 0) return false;
    aim.set(aim.x / n, controls.target.y, aim.z / n);
    shift.subVectors(aim, controls.target).multiplyScalar(1 - Math.exp(-3 * dt));
    if (shift.lengthSq() < 1e-10) return false;
    controls.target.add(shift);
    camera.position.add(shift);
    return true;
  }

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
      const heard = sound ? sound.clock() : null;  // the music's time leads while it plays
      let t = heard !== null ? heard : st.t + dt * st.speed;
      const last = (nFrames - 1) / fps;  // time of the last frame: wrap there, or the clamp in setTime sticks
      if (t > last) {
        if (st.loop) t = last > 0 ? t % last : 0; else { t = last; st.playing = false; }
        if (sound) { if (st.playing) sound.seek(t); else sound.pause(); }
      }
      setTime(t);
    }
    if (st.dirty) showFrame();
    const glided = st.follow && follow(dt);
    const moved = controls.update();
    if (st.dirty || moved || glided) renderer.render(scene, camera);
    st.dirty = false;
  }
  // The fit depends on the aspect ratio, so the camera is framed again whenever the viewer gets a new size,
  // until the user moves it: a notebook iframe or a hidden tab can be laid out only after the viewer starts.
  let userMoved = false;
  function resize() {
    const w = root.clientWidth, h = root.clientHeight;
    if (w < 2 || h < 2) return; // not laid out yet: the observer calls again once it is
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    if (!userMoved && !st.follow) frameCamera(camera, controls, payload, figures);
    st.dirty = true;
  }

  const api = {
    play() {
      if (st.t >= (nFrames - 1) / fps) setTime(0);
      st.playing = true; st.dirty = true;
      if (sound) sound.play(st.t, st.speed);
    },
    pause() {
      // The picture stops where the music stopped (or the music is put where the picture is).
      const heard = sound && st.playing ? sound.clock() : null;
      st.playing = false; st.dirty = true;
      if (!sound) return;
      sound.pause();
      if (heard !== null) setTime(sound.audio.currentTime); else sound.seek(st.t);
    },
    toggle() {
      // The browser kept the music silent until a click: this click starts it instead of pausing.
      if (st.playing && sound && sound.state().blocked && sound.clock() === null) { sound.play(st.t, st.speed); return; }
      if (st.playing) api.pause(); else api.play();
    },
    seek(frame) { setTime(Math.round(frame) / fps); if (sound) sound.seek(st.t); },
    step(n) { api.pause(); api.seek(Math.min(Math.max(st.frame + n, 0), nFrames - 1)); },
    setSpeed(s) {
      st.speed = s; if (sound) sound.setSpeed(s);
      if (ui.speed.value !== String(s)) ui.speed.value = String(s);
    },
    setMusic(on) {
      if (!sound) return;
      sound.setMuted(!on);
      if (ui.music) ui.music.checked = !!on;
      if (on && st.playing && sound.clock() === null) sound.play(st.t, st.speed);  // a click may start sound
    },
    setLoop(on) { st.loop = !!on; ui.loop.checked = st.loop; },
    setFollow(on) { st.follow = !!on; ui.follow.checked = st.follow; },
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
        follow: st.follow, target: controls.target.toArray(),
        fps, ghostVisible: figures.some((f) => f.spec.ghost) && st.ghost,
        dancersVisible: figures.filter((f) => !f.spec.ghost).map((f) => f.group.visible),
        audio: sound ? sound.state() : null };
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
      if (sound) sound.dispose();
      observer.disconnect();
      controls.dispose();
      for (const f of figures) f.dispose();
      renderer.dispose();
      root.remove();
    },
  };
  ui = buildUI(root, payload, figures, api);
  if (sound && st.playing) sound.play(st.t, st.speed);  // heard at once where the browser allows it
  root.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT' && e.target.type !== 'checkbox' && e.key !== ' ') return;
    if (e.key === ' ') { api.toggle(); e.preventDefault(); }
    else if (e.key === 'ArrowRight') { api.step(1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft') { api.step(-1); e.preventDefault(); }
  });
  controls.addEventListener('change', () => { st.dirty = true; });
  controls.addEventListener('start', () => { userMoved = true; });
  frameCamera(camera, controls, payload, figures);
  const observer = new ResizeObserver(resize);
  observer.observe(root);
  resize();
  showFrame();
  st.raf = requestAnimationFrame(tick);
  return api;
}
