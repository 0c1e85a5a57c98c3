/**
 * Seeded randomness for the photo-like images: a fast 32-bit generator, Gaussian samples from a
 * table, and smooth value noise. Everything here is a pure function of its seed, so the same seed
 * gives the same pixels on every run (Math.random would not).
 */

/** A generator of 32-bit unsigned integers (xorshift32): fast, and plenty for texture. */
export type Random = () => number;

/** A {@link Random} seeded with four bytes of `seed` from `offset`; a zero seed (xorshift's fixed point) is replaced. */
export function seededRandom(seed: Uint8Array, offset = 0): Random {
  let s = ((seed[offset]! << 24) | (seed[offset + 1]! << 16) | (seed[offset + 2]! << 8) | seed[offset + 3]!) >>> 0;
  if (s === 0) s = 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** How many entries {@link GAUSSIAN} has: index it with 12 random bits. */
export const GAUSSIAN_BITS = 12;

/**
 * 4,096 samples of the standard normal distribution, at evenly spaced quantiles. A random 12-bit
 * index into it is a Gaussian sample (to within the table's resolution) at the cost of a lookup,
 * which matters at millions of samples per image.
 */
export const GAUSSIAN: Float32Array = (() => {
  const table = new Float32Array(1 << GAUSSIAN_BITS);
  for (let i = 0; i < table.length; i++) table[i] = inverseNormal((i + 0.5) / table.length);
  return table;
})();

/** A smooth random function of the plane: values in [0, 1), features about 1 unit across. */
export type Noise2D = (x: number, y: number) => number;

const LATTICE = 256;

/**
 * Value noise: random values on an integer lattice (256×256, repeating), blended with a smoothstep.
 * Cheap, and smooth enough once a few octaves are summed (see {@link fractal}).
 */
export function valueNoise(random: Random): Noise2D {
  const lattice = new Float32Array(LATTICE * LATTICE);
  for (let i = 0; i < lattice.length; i++) lattice[i] = random() / 4294967296;
  return (x, y) => {
    const xi = Math.floor(x);
    const yi = Math.floor(y);
    const fx = x - xi;
    const fy = y - yi;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const x0 = xi & (LATTICE - 1);
    const y0 = yi & (LATTICE - 1);
    const x1 = (x0 + 1) & (LATTICE - 1);
    const y1 = (y0 + 1) & (LATTICE - 1);
    const a = lattice[y0 * LATTICE + x0]!;
    const b = lattice[y0 * LATTICE + x1]!;
    const c = lattice[y1 * LATTICE + x0]!;
    const d = lattice[y1 * LATTICE + x1]!;
    return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
  };
}

/**
 * Fractal noise: `octaves` layers of `noise`, each twice as fine and half as strong as the last,
 * the detail of clouds and terrain. Values in [0, 1), mostly near 0.5.
 */
export function fractal(noise: Noise2D, x: number, y: number, octaves: number): number {
  let sum = 0;
  let amplitude = 0.5;
  let frequency = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    // Offsets per octave, so the layers' lattices do not line up.
    sum += amplitude * noise(x * frequency + o * 17.31, y * frequency + o * 9.13);
    total += amplitude;
    amplitude *= 0.5;
    frequency *= 2.03;
  }
  return sum / total;
}

/** The standard normal quantile of `p` in (0, 1) (Acklam's rational approximation, error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
