/** Growable typed columns for the engine's outputs: amortised O(1) push, no per-row objects. */
export class F64Col {
  private buf: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity));
  }

  push(x: number): void {
    if (this.length === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = x;
  }

  get(i: number): number {
    return this.buf[i]!;
  }

  set(i: number, x: number): void {
    this.buf[i] = x;
  }

  /** the filled part, as a view (no copy: the column is not pushed to after this) */
  toArray(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/** A growable column of small integers (codes, indices). */
export class I32Col {
  private buf: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(16, capacity));
  }

  push(x: number): void {
    if (this.length === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = x;
  }

  get(i: number): number {
    return this.buf[i]!;
  }

  set(i: number, x: number): void {
    this.buf[i] = x;
  }

  /** the filled part, as a view (no copy) */
  toArray(): Int32Array {
    return this.buf.subarray(0, this.length);
  }
}
