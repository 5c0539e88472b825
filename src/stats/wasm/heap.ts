/**
 * A memory for the research kernels (research.wat) and the arrays they read and write.
 *
 * WebAssembly reads only its own memory, so the arrays the kernels work on (the groupings' table,
 * the ranks, the ordered tables, the sums) are allocated in it and handed to TypeScript as typed
 * array views; the kernels get their byte addresses. The memory has a fixed size, chosen when the
 * heap is made and never grown (a grown memory would detach every view), and each page is only
 * backed once written. An allocation that does not fit returns null: the caller then makes a plain
 * array and the TypeScript loops run instead, with the same results.
 *
 * Blocks are reused by exact size (release); a heap belongs to one owner (a research grid index,
 * per thread) and goes with it.
 */
import { RESEARCH_WASM } from './research-wasm.js';

/** The kernels' exports (research.wat documents each). Pointers are byte addresses in the heap's memory. */
export interface ResearchKernels {
  rank(M: number, K: number, ordered: number, order: number, bs: number, tab: number, valid: number, r: number, cnt: number, t: number, ties: number): void;
  sums(
    N: number,
    K: number,
    pooled: number,
    table: number,
    rx: number,
    ry: number,
    valid: number,
    tIdx: number,
    hasSign: number,
    sign: number,
    c1s: number,
    inv: number,
    series: number,
    sxy: number,
    pos: number,
    tsum: number,
    hitBase: number,
  ): void;
  reorder(M: number, K: number, order: number, src: number, dst: number, w: number): void;
  tcount(N: number, K: number, pooled: number, table: number, valid: number, tIdx: number, series: number, inv: number, c: number, sub: number): void;
  series(G: number, tsum: number, tcnt: number, out: number): number;
  lrv(x: number, n: number, L: number, direct: number, z: number, P: number, out: number, hac: number): void;
  wf_usable(n: number, x: number, y: number, time: number, B: number, base: number, out: number): number;
  wf_acc_label(from: number, to: number, rows: number, B: number, base: number, y: number, row: number, S: number, Sy: number, ySum: number): void;
  wf_predict(r0: number, r1: number, rows: number, B: number, base: number, coef: number, pb: number): void;
  wf_acc_feature(from: number, to: number, rows: number, B: number, base: number, x: number, y: number, row: number, Fx: number, Fy: number): void;
  wf_resid(
    r0: number,
    r1: number,
    j: number,
    rows: number,
    B: number,
    base: number,
    x: number,
    y: number,
    pbs: number,
    bFull: number,
    bF: number,
    fr: number,
    lr: number,
    pbOut: number,
    pfOut: number,
    fold: number,
    acc: number,
    yMean: number,
  ): void;
  sort(n: number, values: number, keys: number, keys2: number, rows: number, rows2: number, hist: number, dig: number, np: number, order: number, bs: number): number;
}

export type HeapArray = Int32Array | Uint16Array | Uint8Array | Int8Array | Float64Array;
interface ArrayCtor<T extends HeapArray> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** The engine's WebAssembly API, the part used here (the project's TypeScript libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  Instance: new (m: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65_536;
/**
 * The largest heap: one page under the 4 GiB a 32-bit module addresses, so that no array ends at
 * 2^32 (the kernels' loops compare end addresses, which would wrap to 0 there).
 */
const MAX_PAGES = 65_535;
const ALIGN = 64;

let compiled: object | null = null;
function researchModule(): object {
  compiled ??= new wasm.Module(Buffer.from(RESEARCH_WASM, 'base64'));
  return compiled;
}

export class KernelHeap {
  readonly k: ResearchKernels;
  readonly bytes: number;
  private readonly buffer: ArrayBuffer;
  private top = ALIGN;
  private readonly free = new Map<number, number[]>();
  /** size of each block handed out, by address */
  private readonly blocks = new Map<number, number>();
  /** working arrays by key (scratch) */
  private readonly held = new Map<string, HeapArray>();

  private constructor(memory: WasmMemory) {
    this.buffer = memory.buffer;
    this.bytes = memory.buffer.byteLength;
    this.k = new wasm.Instance(researchModule(), { env: { mem: memory } }).exports as unknown as ResearchKernels;
  }

  /** Bytes handed out so far (the high-water mark: released blocks are reused, not returned). */
  get used(): number {
    return this.top;
  }

  /** The largest heap `create` gives (bytes). */
  static readonly MAX_BYTES = (MAX_PAGES - 1) * PAGE - ALIGN;

  /** A heap of at least `bytes` bytes, or null when the engine cannot give one (the caller then uses plain arrays). */
  static create(bytes: number): KernelHeap | null {
    const pages = Math.ceil((Math.max(bytes, 0) + ALIGN) / PAGE) + 1;
    if (pages > MAX_PAGES) return null;
    try {
      return new KernelHeap(new wasm.Memory({ initial: pages, maximum: pages }));
    } catch {
      return null;
    }
  }

  /**
   * A zeroed array of `length` elements in the heap, or null when it does not fit. `zero = false`:
   * a reused block keeps what it held (for working arrays written before they are read).
   */
  alloc<T extends HeapArray>(ctor: ArrayCtor<T>, length: number, zero = true): T | null {
    const size = blockSize(length * ctor.BYTES_PER_ELEMENT);
    const reuse = this.free.get(size)?.pop();
    if (reuse !== undefined) {
      this.blocks.set(reuse, size);
      const v = new ctor(this.buffer, reuse, length);
      if (zero) v.fill(0);
      return v;
    }
    if (this.top + size > this.bytes) return null;
    const at = this.top;
    this.top += size;
    this.blocks.set(at, size);
    return new ctor(this.buffer, at, length);
  }

  /**
   * A working array of at least `length` elements kept under `key` (not cleared: written before it is
   * read), grown as needed: for working arrays whose length changes from call to call, which would
   * otherwise leave a free block of every length behind. Valid until the next call with the key;
   * null when it does not fit.
   */
  scratch<T extends HeapArray>(key: string, ctor: ArrayCtor<T>, length: number): T | null {
    const held = this.held.get(key);
    if (held && held.constructor === ctor && held.length >= length) return (held as T).subarray(0, length) as T;
    if (held) this.release(held);
    this.held.delete(key);
    const a = this.alloc(ctor, Math.max(length, held && held.constructor === ctor ? Math.ceil(held.length * 1.5) : 0), false) ?? this.alloc(ctor, length, false);
    if (!a) return null;
    this.held.set(key, a);
    return a.subarray(0, length) as T;
  }

  /** alloc, or a plain array when the heap is full. */
  array<T extends HeapArray>(ctor: ArrayCtor<T>, length: number): T {
    return this.alloc(ctor, length) ?? new ctor(length);
  }

  /**
   * Gives back the block a heap array starts (the array, or a view from its start: the block's own
   * size is kept). Plain arrays, views from inside a block and blocks already given back are
   * ignored. No view of the block may be used afterwards.
   */
  release(view: HeapArray): void {
    if (!this.owns(view)) return;
    const size = this.blocks.get(view.byteOffset);
    if (size === undefined) return;
    this.blocks.delete(view.byteOffset);
    const list = this.free.get(size) ?? [];
    list.push(view.byteOffset);
    this.free.set(size, list);
  }

  /** The array is a view of this heap. */
  owns(view: HeapArray): boolean {
    return view.buffer === this.buffer;
  }

  /**
   * Runs fn with the working arrays of one call (`t.alloc`, and `t.address`: an array's address in
   * the heap, of a copy when it is not in it), all given back when fn returns or throws.
   */
  withTemps<R>(fn: (t: HeapTemps) => R): R {
    const temps: HeapArray[] = [];
    const t: HeapTemps = {
      alloc: (ctor, length, zero = true) => {
        const a = this.alloc(ctor, length, zero);
        if (a) temps.push(a);
        return a;
      },
      address: (view) => this.addressOf(view, temps),
    };
    try {
      return fn(t);
    } finally {
      for (const a of temps) this.release(a);
    }
  }

  /** The byte address of an array in the heap: the array itself, or a temporary copy (added to `temps`, release after the call); null when it does not fit. */
  addressOf(view: HeapArray, temps: HeapArray[]): number | null {
    if (this.owns(view)) return view.byteOffset;
    const copy = this.alloc(view.constructor as ArrayCtor<HeapArray>, view.length);
    if (!copy) return null;
    copy.set(view as never);
    temps.push(copy);
    return copy.byteOffset;
  }
}

/** The working arrays of one call (KernelHeap.withTemps). */
export interface HeapTemps {
  alloc<T extends HeapArray>(ctor: ArrayCtor<T>, length: number, zero?: boolean): T | null;
  address(view: HeapArray): number | null;
}

function blockSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/** A zeroed array: in the heap when there is one and it fits, else a plain one. */
export function heapArray<T extends HeapArray>(heap: KernelHeap | null, ctor: ArrayCtor<T>, length: number): T {
  return heap ? heap.array(ctor, length) : new ctor(length);
}
