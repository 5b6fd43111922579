// A small semver range check for `engines["recon-daemon"]`, npm's grammar minus pre-releases:
//   1.2.3  =1.2.3  >1.2  >=1  <2.0.0  <=1.4  ^1.2.3  ^0.2  ~1.2  1.x  1.2.*  *  ""  1.0.0 - 2.3  a || b
// Comparators separated by spaces must all hold; `||` alternatives need one to hold. Versions are
// MAJOR.MINOR.PATCH (a leading "v" is accepted); pre-release and build tags are refused, since the plugin API
// has no pre-releases. Pure functions, no dependency.

export type Version = readonly [number, number, number];

const NUM = '(0|[1-9]\\d*)';
const VERSION_RE = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}$`);
/** A partial version: 1, 1.2, 1.2.3, with x / X / * wildcards. */
const PARTIAL_RE = /^v?(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*]))?)?$/;

export function parseVersion(v: string): Version | undefined {
  const m = VERSION_RE.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  op: Op;
  v: Version;
}

/** Parts given (1–3) with wildcards as undefined; undefined when not a partial version. */
function parsePartial(s: string): Array<number | undefined> | undefined {
  const m = PARTIAL_RE.exec(s);
  if (!m) return undefined;
  const parts: Array<number | undefined> = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined) break;
    if (/^[xX*]$/.test(p)) break; // everything after a wildcard is a wildcard too
    if (p.length > 1 && p.startsWith('0')) return undefined;
    parts.push(Number(p));
  }
  return parts;
}

const full = (p: Array<number | undefined>): Version => [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];

/** The lowest version above every version that matches the partial `p` (1.2 → 1.3.0, 1 → 2.0.0). */
function nextAfter(p: Array<number | undefined>): Version {
  if (p.length === 1) return [p[0]! + 1, 0, 0];
  return [p[0]!, p[1]! + 1, 0];
}

function expandSimple(token: string): Comparator[] | undefined {
  const m = /^(<=|>=|<|>|=|\^|~>?)?\s*(.*)$/.exec(token);
  if (!m) return undefined;
  const op = m[1] ?? '';
  const p = parsePartial(m[2]);
  if (!p) return undefined;
  const n = p.length;
  if (n === 0) return op === '<' || op === '>' ? [{ op: '<', v: [0, 0, 0] }] : []; // `*`: anything (`<*`: nothing)
  switch (op) {
    case '':
    case '=':
      if (n === 3) return [{ op: '=', v: full(p) }];
      return [
        { op: '>=', v: full(p) },
        { op: '<', v: nextAfter(p) },
      ];
    case '>':
      return n === 3 ? [{ op: '>', v: full(p) }] : [{ op: '>=', v: nextAfter(p) }];
    case '>=':
      return [{ op: '>=', v: full(p) }];
    case '<':
      return [{ op: '<', v: full(p) }];
    case '<=':
      return n === 3 ? [{ op: '<=', v: full(p) }] : [{ op: '<', v: nextAfter(p) }];
    case '~':
    case '~>':
      return [
        { op: '>=', v: full(p) },
        { op: '<', v: n === 1 ? [p[0]! + 1, 0, 0] : [p[0]!, p[1]! + 1, 0] },
      ];
    case '^': {
      const [a, b, c] = [p[0]!, p[1], p[2]];
      let upper: Version;
      if (a > 0 || n === 1) upper = [a + 1, 0, 0];
      else if (b! > 0 || n === 2) upper = [0, b! + 1, 0];
      else upper = [0, 0, c! + 1];
      return [
        { op: '>=', v: full(p) },
        { op: '<', v: upper },
      ];
    }
  }
  return undefined;
}

/** One `||` alternative: a hyphen range or space-separated comparators. */
function parseSet(set: string): Comparator[] | undefined {
  const s = set.trim();
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(s);
  if (hyphen) {
    const lo = parsePartial(hyphen[1]);
    const hi = parsePartial(hyphen[2]);
    if (!lo || !hi) return undefined;
    const out: Comparator[] = [{ op: '>=', v: full(lo) }];
    if (hi.length === 3) out.push({ op: '<=', v: full(hi) });
    else if (hi.length > 0) out.push({ op: '<', v: nextAfter(hi) });
    return out;
  }
  if (s === '') return [];
  // ">= 1.2" is one comparator: glue operators to their version first.
  const tokens = s.replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1').split(/\s+/);
  const out: Comparator[] = [];
  for (const t of tokens) {
    const c = expandSimple(t);
    if (!c) return undefined;
    out.push(...c);
  }
  return out;
}

/** The parsed range, or undefined when it is not a valid range. */
export function parseRange(range: string): Comparator[][] | undefined {
  if (range.length > 256) return undefined;
  const sets: Comparator[][] = [];
  for (const alt of range.split('||')) {
    const set = parseSet(alt);
    if (!set) return undefined;
    sets.push(set);
  }
  return sets;
}

export function isValidRange(range: string): boolean {
  return parseRange(range) !== undefined;
}

function test(c: Comparator, v: Version): boolean {
  const d = cmp(v, c.v);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
  }
}

/** True when `version` (MAJOR.MINOR.PATCH) is inside `range`; false for an invalid range or version. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const sets = parseRange(range);
  if (!v || !sets) return false;
  return sets.some((set) => set.every((c) => test(c, v)));
}
