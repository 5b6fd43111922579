// The 3D view of a job's face.glb (three.js, bundled): orbit, a turntable, grey or textured material, and the
// structure map as a backdrop, placed where it lines up with the mesh (docs/outputs.md: crop pixel (u, v) is
// X = (u − 0.5·S)·k, Y = (0.4·S − v)·k, so the map is S·k wide, centred at (0, −0.1·S·k)).
import {
  AdditiveBlending,
  AmbientLight,
  Box3,
  Color,
  DirectionalLight,
  Mesh,
  MeshBasicMaterial,
  MeshStandardMaterial,
  PerspectiveCamera,
  PlaneGeometry,
  Scene,
  SRGBColorSpace,
  TextureLoader,
  Vector3,
  WebGLRenderer,
  type Material,
  type Object3D,
} from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

export interface ViewerInput {
  glbUrl: string;
  /** The structure map and its geometry (result.json alignment), for the backdrop. */
  backdrop?: { url: string; size: number; metresPerPixel: number };
}

/** WebGL contexts are few (Chromium keeps ~16): older viewers are put to sleep past this many. */
const MAX_LIVE = 6;
const live: Viewer[] = [];

export class Viewer {
  readonly canvas: HTMLCanvasElement;
  private renderer: WebGLRenderer | undefined;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(28, 1, 0.01, 10);
  private controls: OrbitControls | undefined;
  private face: Object3D | undefined;
  private backdrop: Mesh | undefined;
  private readonly textured = new Map<Mesh, Material | Material[]>();
  private readonly grey = new MeshStandardMaterial({ color: 0xc8c8c8, roughness: 0.75, metalness: 0 });
  private resize: ResizeObserver | undefined;

  constructor(private readonly host: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'viewer-canvas';
    host.append(this.canvas);
  }

  /** Load the mesh (and backdrop) and start rendering. Rejects when the GLB cannot be loaded. */
  async load(input: ViewerInput): Promise<void> {
    live.push(this);
    while (live.length > MAX_LIVE) live.shift()!.sleep();
    // preserveDrawingBuffer: screenshots and tests read what is on the canvas.
    const renderer = new WebGLRenderer({ canvas: this.canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer = renderer;
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    renderer.outputColorSpace = SRGBColorSpace;
    this.scene.background = new Color(0x1d232b);
    this.scene.add(new AmbientLight(0xffffff, 0.9));
    const key = new DirectionalLight(0xffffff, 2.2);
    key.position.set(0.3, 0.4, 1);
    this.scene.add(key);

    const gltf = await new GLTFLoader().loadAsync(input.glbUrl);
    this.face = gltf.scene;
    this.face.traverse((o) => {
      if (o instanceof Mesh) this.textured.set(o, o.material);
    });
    this.scene.add(this.face);
    const box = new Box3().setFromObject(this.face);
    const centre = box.getCenter(new Vector3());
    const size = box.getSize(new Vector3());

    if (input.backdrop) {
      const { url, size: s, metresPerPixel: k } = input.backdrop;
      const tex = await new TextureLoader().loadAsync(url);
      tex.colorSpace = SRGBColorSpace;
      // Additive: the map's black background adds nothing, so only the grey face shows behind the mesh, as a
      // reference image does in Blender's front view.
      const plane = new Mesh(
        new PlaneGeometry(s * k, s * k),
        new MeshBasicMaterial({ map: tex, blending: AdditiveBlending, transparent: true, opacity: 0.85, depthWrite: false }),
      );
      plane.position.set(0, -0.1 * s * k, box.min.z - 0.01);
      this.backdrop = plane;
      this.scene.add(plane);
    }

    // A three-quarter view to start with, so the first look shows depth (and the backdrop behind the head).
    const dist = (Math.max(size.x, size.y) / (2 * Math.tan((this.camera.fov * Math.PI) / 360))) * 1.35 + size.z;
    const yaw = (28 * Math.PI) / 180;
    const pitch = (8 * Math.PI) / 180;
    this.camera.position.set(
      centre.x + dist * Math.sin(yaw) * Math.cos(pitch),
      centre.y + dist * Math.sin(pitch),
      centre.z + dist * Math.cos(yaw) * Math.cos(pitch),
    );
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.target.copy(centre);
    this.controls.enableDamping = true;
    this.controls.autoRotateSpeed = 4;
    this.controls.update();

    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.host);
    this.fit();
    renderer.setAnimationLoop(() => {
      this.controls?.update();
      renderer.render(this.scene, this.camera);
    });
  }

  private fit(): void {
    const w = Math.max(1, this.host.clientWidth);
    const hgt = Math.max(1, Math.round(w * 0.75));
    this.renderer?.setSize(w, hgt, false);
    this.camera.aspect = w / hgt;
    this.camera.updateProjectionMatrix();
  }

  setTurntable(on: boolean): void {
    if (this.controls) this.controls.autoRotate = on;
  }

  setGrey(on: boolean): void {
    for (const [mesh, material] of this.textured) mesh.material = on ? this.grey : material;
  }

  setBackdrop(on: boolean): void {
    if (this.backdrop) this.backdrop.visible = on;
  }

  get hasBackdrop(): boolean {
    return this.backdrop !== undefined;
  }

  /** Called when the viewer is put to sleep, with a picture of its last frame (a data: URL). */
  onSleep: ((snapshot: string) => void) | undefined;

  /** Free the WebGL context (another viewer needs one); onSleep gets the last frame as a picture. */
  sleep(): void {
    const snapshot = this.renderer ? this.canvas.toDataURL('image/png') : '';
    this.renderer?.setAnimationLoop(null);
    this.resize?.disconnect();
    this.controls?.dispose();
    this.renderer?.dispose();
    this.renderer?.forceContextLoss();
    this.renderer = undefined;
    const i = live.indexOf(this);
    if (i >= 0) live.splice(i, 1);
    this.onSleep?.(snapshot);
  }
}
