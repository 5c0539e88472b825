/**
 * Seeded random numbers for the synthetic market: xoshiro128** (Blackman and Vigna) on 32-bit
 * integer arithmetic (Math.imul, >>>), seeded per named stream by splitmix32 over a hash of
 * (seed, stream name). Integer steps are exact everywhere; the floating-point transforms use
 * Math.log/cos/sin/acos/sqrt, which ECMAScript leaves implementation-defined but V8 computes with
 * its fdlibm port (ieee754::) on every platform, so one Node major gives bit-identical draws on
 * x64 and arm64. Each stream is independent of the others: adding a symbol or an optional output
 * never shifts the draws of another stream.
 */

/** FNV-1a over the UTF-16 code units of a string, 32-bit. */
function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** splitmix32 step (returns the next output and advances the state held in s[0]). */
function splitmix32(s: Uint32Array): number {
  s[0] = (s[0]! + 0x9e3779b9) >>> 0;
  let z = s[0]!;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_32 = 4294967296;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** A stream named `stream` of the run seeded with `seed` (an integer 0 <= seed < 2^32). */
  constructor(seed: number, stream: string) {
    const s = new Uint32Array([fnv1a(stream, fnv1a(String(seed >>> 0)))]);
    this.a = splitmix32(s);
    this.b = splitmix32(s);
    this.c = splitmix32(s);
    this.d = splitmix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform on the open interval (0, 1): never 0 or 1, so logs are finite. */
  uniform(): number {
    return (this.nextU32() + 0.5) / TWO_32;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    this.hasSpare = true;
    return r * Math.cos(th);
  }

  /**
   * Student t with 4 degrees of freedom scaled to unit variance (fat tails: the raw t4 has
   * variance 2). Closed-form inverse CDF of t4 (Shaw 2006), one uniform per draw.
   */
  t4(): number {
    const p = this.uniform();
    const alpha = 4 * p * (1 - p);
    const sa = Math.sqrt(alpha);
    const q = Math.cos(Math.acos(sa) / 3) / sa;
    const t = 2 * Math.sqrt(Math.max(0, q - 1));
    return (p < 0.5 ? -t : t) * Math.SQRT1_2;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
