import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { BACKGROUND, type Rgb } from './colors.ts';

/**
 * One point cloud in one canvas: a BufferGeometry with positions and sRGB byte colours drawn as a
 * single `Points` (one draw call, however many points), a perspective camera and orbit controls.
 * Views are linked by `CameraLink`: moving one moves all. Rendering is on demand (a camera move,
 * new colours, a resize), batched into one animation frame for every view.
 *
 *   const view = new CloudView(container);
 *   view.setCloud(points, colors);        // Float32Array N×3, Uint8Array N×3
 *   view.setColors(otherColors);          // recolour without touching positions
 */

// Colours are written as display sRGB bytes and must reach the screen unchanged.
THREE.ColorManagement.enabled = false;

const views = new Set<CloudView>();
let frameRequested = false;
let framesRendered = 0;

function requestFrame(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    let rendered = false;
    for (const view of views) rendered = view.renderIfDirty() || rendered;
    if (rendered) document.body.dataset['frames'] = String(++framesRendered);
  });
}

let discTexture: THREE.Texture | undefined;

/** A white disc, so points are round rather than squares. */
function disc(): THREE.Texture {
  if (discTexture) return discTexture;
  const size = 64;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.beginPath();
  context.arc(size / 2, size / 2, size / 2 - 1, 0, Math.PI * 2);
  context.fill();
  discTexture = new THREE.CanvasTexture(canvas);
  return discTexture;
}

function color(rgb: Rgb): THREE.Color {
  return new THREE.Color(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255);
}

/** Point size in CSS pixels for a cloud of `count` points (before the user's scale). */
export function defaultPointSize(count: number): number {
  if (count <= 4_000) return 4;
  if (count <= 20_000) return 3;
  if (count <= 60_000) return 2.2;
  return 1.6;
}

export class CloudView {
  readonly canvas: HTMLCanvasElement;
  readonly camera = new THREE.PerspectiveCamera(40, 1, 0.001, 1000);
  readonly controls: OrbitControls;
  /** Called after the user moved this view's camera. */
  onCameraChange?: () => void;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly material: THREE.PointsMaterial;
  private readonly resizeObserver: ResizeObserver;
  private geometry?: THREE.BufferGeometry;
  private points?: THREE.Points;
  private colorAttribute?: THREE.BufferAttribute;
  private center = new THREE.Vector3();
  private radius = 1;
  private count = 0;
  private sizeScale = 1;
  private dirty = true;

  constructor(private readonly container: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: false, powerPreference: 'high-performance' });
    this.renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(color(BACKGROUND));
    this.canvas = this.renderer.domElement;
    this.canvas.className = 'cloud-canvas';
    container.appendChild(this.canvas);
    this.scene.fog = new THREE.Fog(color(BACKGROUND), 1, 2);
    this.material = new THREE.PointsMaterial({ vertexColors: true, sizeAttenuation: false, map: disc(), alphaTest: 0.5, fog: true });
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => {
      this.invalidate();
      this.onCameraChange?.();
    });
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    views.add(this);
    this.resize();
  }

  /** Positions and colours of the cloud; the camera is fitted to it. */
  setCloud(positions: Float32Array, colors: Uint8Array): void {
    this.disposeGeometry();
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
    this.colorAttribute = new THREE.BufferAttribute(colors.slice(), 3, true);
    geometry.setAttribute('color', this.colorAttribute);
    geometry.computeBoundingSphere();
    this.geometry = geometry;
    this.points = new THREE.Points(geometry, this.material);
    this.scene.add(this.points);
    this.count = positions.length / 3;
    this.center.copy(geometry.boundingSphere!.center);
    this.radius = geometry.boundingSphere!.radius || 1;
    this.updatePointSize();
    this.resetCamera();
  }

  setColors(colors: Uint8Array): void {
    if (!this.colorAttribute || !this.geometry) return;
    if (colors.length !== this.colorAttribute.array.length) throw new RangeError('setColors: wrong number of colours');
    const target = this.colorAttribute.array as Uint8Array;
    if (colors !== target) target.set(colors);
    this.colorAttribute.needsUpdate = true;
    this.invalidate();
  }

  /** Scales the default point size (the slider). */
  setPointScale(scale: number): void {
    this.sizeScale = scale;
    this.updatePointSize();
  }

  /** Looks at the cloud from the front-right, a little above, the whole cloud in view. */
  resetCamera(): void {
    const fov = THREE.MathUtils.degToRad(this.camera.fov);
    const distance = (this.radius / Math.sin(fov / 2)) * 1.05;
    const direction = new THREE.Vector3(1.1, 0.75, 1.6).normalize();
    this.camera.up.set(0, 1, 0);
    this.camera.position.copy(this.center).addScaledVector(direction, distance);
    this.controls.target.copy(this.center);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.invalidate();
  }

  /** Takes another view's camera (linked cameras). */
  copyCamera(from: CloudView): void {
    this.camera.position.copy(from.camera.position);
    this.camera.quaternion.copy(from.camera.quaternion);
    this.camera.up.copy(from.camera.up);
    this.controls.target.copy(from.controls.target);
    this.camera.near = from.camera.near;
    this.camera.far = from.camera.far;
    this.camera.updateProjectionMatrix();
    this.invalidate();
  }

  invalidate(): void {
    this.dirty = true;
    requestFrame();
  }

  /** Renders when something changed; true if it did. */
  renderIfDirty(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    // Depth cue: points fade towards the background with distance, at most about a third.
    const distance = this.camera.position.distanceTo(this.controls.target);
    const fog = this.scene.fog as THREE.Fog;
    fog.near = Math.max(0, distance - this.radius);
    fog.far = distance + 4 * this.radius;
    this.renderer.render(this.scene, this.camera);
    return true;
  }

  dispose(): void {
    views.delete(this);
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.disposeGeometry();
    this.material.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.canvas.remove();
  }

  private updatePointSize(): void {
    this.material.size = defaultPointSize(this.count) * this.sizeScale * this.renderer.getPixelRatio();
    this.material.needsUpdate = true;
    this.invalidate();
  }

  private resize(): void {
    // Whole pixels, so the canvas is drawn 1:1 (a fractional box would be resampled and blur).
    const width = Math.max(1, Math.floor(this.container.getBoundingClientRect().width));
    const height = Math.max(120, Math.min(Math.round(width * 0.85), Math.round(window.innerHeight * 0.62)));
    if (this.container.style.height !== `${height}px`) this.container.style.height = `${height}px`;
    this.renderer.setSize(width, height, true);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.invalidate();
  }

  private disposeGeometry(): void {
    if (this.points) this.scene.remove(this.points);
    this.geometry?.dispose();
    this.geometry = undefined;
    this.points = undefined;
  }
}

/** Cameras that move together: orbiting or zooming one moves every other. */
export class CameraLink {
  private readonly linked: CloudView[] = [];
  private syncing = false;

  add(view: CloudView): void {
    this.linked.push(view);
    view.onCameraChange = () => {
      if (this.syncing) return;
      this.syncing = true;
      for (const other of this.linked) if (other !== view) other.copyCamera(view);
      this.syncing = false;
    };
  }

  clear(): void {
    for (const view of this.linked) view.onCameraChange = undefined;
    this.linked.length = 0;
  }

  resetAll(): void {
    const [first, ...rest] = this.linked;
    if (!first) return;
    first.resetCamera();
    for (const view of rest) view.copyCamera(first);
  }
}
