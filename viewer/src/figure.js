// One drawn body of the viewer: instanced bone cylinders and joint spheres, a head sphere and a floor shadow,
// posed in place from the decoded motion every frame (no allocation while playing).

import * as THREE from 'three';

const UP = new THREE.Vector3(0, 1, 0);
const BONE_RADIUS = 0.022;
const JOINT_RADIUS = 0.03;
const HEAD_RADIUS = 0.1;
const GHOST_OPACITY = 0.38;
const HIGHLIGHT_COLOR = 0xf2b600; // translucent halos around highlighted joints (a leader's most influential)
const HIGHLIGHT_MIN = 0.15; // joints weighted below this get no halo

// int16 little-endian base64 -> Float32Array of metres, NaN where the joint is missing.
export function decodePositions(b64, quant, missing) {
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

// One drawn body: instanced bones and joints plus a head sphere and a soft floor shadow.
export class Figure {
  constructor(spec, skeleton, frames, quant, missing, floorY, scale) {
    this.spec = spec;
    this.nJoints = skeleton.joints.length;
    // Bones between two head joints lie inside the head sphere and would only poke out of it.
    const inHead = new Set(skeleton.head);
    this.bones = Int32Array.from(skeleton.bones.filter(([a, b]) => !(inHead.has(a) && inHead.has(b))).flat());
    this.head = skeleton.head;
    this.headRadius = skeleton.head_radius || HEAD_RADIUS * scale;
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
    const r = BONE_RADIUS * scale;
    const boneGeo = new THREE.CylinderGeometry(r, r, 1, 12, 1).translate(0, 0.5, 0); // base at the parent joint
    const jointGeo = new THREE.SphereGeometry(JOINT_RADIUS * scale, 14, 10);
    this.boneMesh = new THREE.InstancedMesh(boneGeo, material, this.bones.length / 2);
    this.jointMesh = new THREE.InstancedMesh(jointGeo, material, this.nJoints);
    this.headMesh = new THREE.Mesh(new THREE.SphereGeometry(this.headRadius, 24, 16), material);
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
    this.addHalos(spec.highlight || [], scale);
    if (ghost) this.addDepthPrepass();
    // Scratch objects reused every frame: no allocation while playing.
    this._a = new THREE.Vector3(); this._b = new THREE.Vector3(); this._d = new THREE.Vector3();
    this._q = new THREE.Quaternion(); this._s = new THREE.Vector3(); this._m = new THREE.Matrix4();
    this._zero = new THREE.Matrix4().makeScale(0, 0, 0);
  }

  // Halos sized by weight around highlighted joints, drawn after the body so they read as a glow on it.
  addHalos(weights, scale) {
    this.halos = [];
    weights.forEach((w, j) => { if (w >= HIGHLIGHT_MIN) this.halos.push([j, w]); });
    if (this.halos.length === 0) return;
    const material = new THREE.MeshBasicMaterial({ color: HIGHLIGHT_COLOR, transparent: true, opacity: 0.5,
      depthWrite: false });
    this.haloMesh = new THREE.InstancedMesh(new THREE.SphereGeometry(JOINT_RADIUS * scale, 16, 12), material,
      this.halos.length);
    this.haloMesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
    this.haloMesh.frustumCulled = false;
    this.haloMesh.renderOrder = 3;
    this.group.add(this.haloMesh);
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
    if (this.haloMesh) this.placeHalos();
    this.shadow.visible = n > 0;
    if (n > 0) this.shadow.position.set(cx / n, this.floorY + 0.002, cz / n);
    this.placeHead();
  }

  placeHalos() {
    const p = this.pose, m = this._m;
    this.halos.forEach(([j, w], k) => {
      const x = p[3 * j], y = p[3 * j + 1], z = p[3 * j + 2];
      if (Number.isNaN(x + y + z)) { this.haloMesh.setMatrixAt(k, this._zero); return; }
      m.makeScale(1.6 + 2.2 * w, 1.6 + 2.2 * w, 1.6 + 2.2 * w).setPosition(x, y, z);
      this.haloMesh.setMatrixAt(k, m);
    });
    this.haloMesh.instanceMatrix.needsUpdate = true;
  }

  // The head sphere sits at the head joints' centroid and, in this frame, just reaches the farthest of them
  // (pose-estimated skeletons are not rigid), within 0.8-1.2 of the clip's typical head size.
  placeHead() {
    let x = 0, y = 0, z = 0, n = 0;
    const p = this.pose;
    for (const j of this.head) {
      if (Number.isNaN(p[3 * j] + p[3 * j + 1] + p[3 * j + 2])) continue;
      x += p[3 * j]; y += p[3 * j + 1]; z += p[3 * j + 2]; n++;
    }
    const mesh = this.headMesh, twin = mesh.userData.depthTwin;
    mesh.visible = n > 0;
    if (twin) twin.visible = n > 0;
    if (n === 0) return;
    x /= n; y /= n; z /= n;
    let reach = 0;
    for (const j of this.head) {
      const d = Math.hypot(p[3 * j] - x, p[3 * j + 1] - y, p[3 * j + 2] - z);
      if (d > reach) reach = d;
    }
    const s = n > 1 ? Math.min(Math.max(reach / this.headRadius, 0.8), 1.2) : 1;
    mesh.position.set(x, y, z);
    mesh.scale.setScalar(s);
    if (twin) { twin.position.copy(mesh.position); twin.scale.setScalar(s); }
  }

  dispose() {
    this.group.traverse((o) => { if (o.geometry) o.geometry.dispose(); if (o.material) o.material.dispose(); });
  }
}
