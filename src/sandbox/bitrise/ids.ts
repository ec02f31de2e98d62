// Opaque Bitrise identifiers that carry where their object lives: a build slug decodes to (app, day, run,
// workflow), so any build can be regenerated from its slug alone without an index of every build. The
// fields are scrambled with a keyed Feistel permutation so slugs look as random as real ones, and a check
// byte makes garbage cursors detectable.
import { hash, hexOf } from '../random.js';

export type IdKind = 'app' | 'build' | 'artifact' | 'pipeline';
const KIND_CODES: Record<IdKind, number> = { app: 1, build: 2, artifact: 3, pipeline: 4 };

/** Where an object lives. `sub` is the workflow index of a build, or `workflow << 5 | artifact` for artifacts. */
export interface IdFields {
  kind: IdKind;
  app: number;
  day: number;
  run: number;
  sub: number;
}

export const ID_LIMITS = { app: 0xff, day: 0xffff, run: 0x3ffff, sub: 0x7ff } as const;

export class IdCodec {
  private readonly keys: number[];

  constructor(seed: number) {
    this.keys = [0, 1, 2, 3].map((round) => hash('bitrise-ids', seed, round));
  }

  /** 16 lowercase hex characters, like real Bitrise slugs. */
  encode(fields: IdFields): string {
    const { app, day, run, sub } = fields;
    if (app > ID_LIMITS.app || day > ID_LIMITS.day || run > ID_LIMITS.run || sub > ID_LIMITS.sub) {
      throw new Error(`id out of range: ${JSON.stringify(fields)}`);
    }
    const hi = ((KIND_CODES[fields.kind] << 29) | (app << 21) | (day << 5) | (run >>> 13)) >>> 0;
    const body = (((run & 0x1fff) << 19) | (sub << 8)) >>> 0;
    const lo = (body | (hash(hi, body, this.keys[0] ?? 0) & 0xff)) >>> 0;
    let [l, r] = [hi, lo];
    for (const key of this.keys) [l, r] = [r, (l ^ hash(r, key)) >>> 0];
    return hex8(l) + hex8(r);
  }

  /** The fields of a slug of the given kind, or null when the text is not one of ours. */
  decode(slug: string, kind: IdKind): IdFields | null {
    if (!/^[0-9a-f]{16}$/.test(slug)) return null;
    let l = Number.parseInt(slug.slice(0, 8), 16);
    let r = Number.parseInt(slug.slice(8), 16);
    for (let i = this.keys.length - 1; i >= 0; i--) [l, r] = [(r ^ hash(l, this.keys[i] ?? 0)) >>> 0, l];
    const [hi, lo] = [l, r];
    const body = (lo & ~0xff) >>> 0;
    if ((hash(hi, body, this.keys[0] ?? 0) & 0xff) !== (lo & 0xff)) return null;
    if (hi >>> 29 !== KIND_CODES[kind]) return null;
    return {
      kind,
      app: (hi >>> 21) & 0xff,
      day: (hi >>> 5) & 0xffff,
      run: ((hi & 0x1f) << 13) | (lo >>> 19),
      sub: (lo >>> 8) & 0x7ff,
    };
  }

  /** A UUID-shaped pipeline id that still decodes: the slug sits in the non-version hex digits. */
  encodeUuid(fields: IdFields): string {
    const slug = this.encode(fields);
    const fill = hexOf(16, 'uuid-fill', slug);
    const variant = '89ab'[Number.parseInt(fill[0] ?? '0', 16) & 3];
    return `${slug.slice(0, 8)}-${slug.slice(8, 12)}-4${fill.slice(1, 4)}-${variant}${fill.slice(4, 7)}-${slug.slice(12, 16)}${fill.slice(7, 15)}`;
  }

  decodeUuid(id: string, kind: IdKind): IdFields | null {
    const m = /^([0-9a-f]{8})-([0-9a-f]{4})-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-([0-9a-f]{4})[0-9a-f]{8}$/.exec(
      id,
    );
    if (!m) return null;
    const fields = this.decode(`${m[1]}${m[2]}${m[3]}`, kind);
    return fields && this.encodeUuid(fields) === id ? fields : null;
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
