// Compares the shape of a simulated answer with a real one: field names and JSON types, recursively.
// Values never matter, only what a reader of the payload has to cope with. Several samples of one answer
// (the items of a list, several sandbox replies) are merged first, so a field counts as present when any
// sample has it and its types are every type any sample gave it.
import { readFileSync } from 'node:fs';

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** What the samples at one place in a payload have shown. */
export interface Shape {
  types: Set<JsonType>;
  /** Fields of the objects seen here. */
  fields: Map<string, Shape>;
  /** Items of the arrays seen here; null when every array was empty. */
  items: Shape | null;
}

export interface ShapeDifference {
  /** Where, e.g. `data[].machine_type_id` (`[]` stands for every item of an array). */
  path: string;
  /** `missing`: the real payload has it, the sandbox never does; `extra`: the other way round. */
  kind: 'missing' | 'extra' | 'type';
  detail: string;
}

/** A difference the sandbox keeps on purpose, with the reason written down. */
export interface DeliberateDifference {
  /** The real payload's name, e.g. `bitrise-2026-04/get_build.json`. */
  endpoint: string;
  path: string;
  kind: ShapeDifference['kind'];
  reason: string;
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'boolean' || type === 'number' || type === 'string' || type === 'object') return type;
  throw new Error(`not a JSON value: ${type}`);
}

const emptyShape = (): Shape => ({ types: new Set(), fields: new Map(), items: null });

/** The merged shape of one or more JSON values. */
export function shapeOf(samples: readonly unknown[]): Shape {
  const shape = emptyShape();
  for (const sample of samples) addSample(shape, sample);
  return shape;
}

function addSample(shape: Shape, value: unknown) {
  const type = typeOf(value);
  shape.types.add(type);
  if (type === 'object') {
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      let fieldShape = shape.fields.get(key);
      if (!fieldShape) {
        fieldShape = emptyShape();
        shape.fields.set(key, fieldShape);
      }
      addSample(fieldShape, field);
    }
  } else if (type === 'array') {
    for (const item of value as unknown[]) {
      shape.items ??= emptyShape();
      addSample(shape.items, item);
    }
  }
}

const nonNull = (types: Set<JsonType>) => [...types].filter((t) => t !== 'null').sort();

/**
 * Where the sandbox's samples differ from the real ones. A null says nothing about a field's type, so a
 * field that was only ever null in the real payload matches any type; one the sandbox only ever sends as
 * null, where the real payload has a value, is a difference.
 */
export function shapeDifferences(real: Shape, sandbox: Shape, path = ''): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  const realTypes = nonNull(real.types);
  const sandboxTypes = nonNull(sandbox.types);
  if (realTypes.length > 0 && realTypes.join('|') !== sandboxTypes.join('|')) {
    out.push({
      path: path || '(root)',
      kind: 'type',
      detail: `real ${realTypes.join('|')}, sandbox ${sandboxTypes.join('|') || 'only null'}`,
    });
  }
  if (real.types.has('object') && sandbox.types.has('object')) {
    for (const [key, realField] of real.fields) {
      const at = path ? `${path}.${key}` : key;
      const sandboxField = sandbox.fields.get(key);
      if (!sandboxField) out.push({ path: at, kind: 'missing', detail: 'never in the sandbox' });
      else out.push(...shapeDifferences(realField, sandboxField, at));
    }
    for (const key of sandbox.fields.keys()) {
      if (!real.fields.has(key)) {
        out.push({ path: path ? `${path}.${key}` : key, kind: 'extra', detail: 'not in the real payload' });
      }
    }
  }
  if (real.items && sandbox.types.has('array')) {
    if (sandbox.items) out.push(...shapeDifferences(real.items, sandbox.items, `${path}[]`));
    else out.push({ path: `${path}[]`, kind: 'missing', detail: 'the sandbox only sends empty arrays' });
  }
  return out;
}

/** Reads a file of deliberate differences: a JSON array of {endpoint, path, kind, reason}. */
export function readDeliberate(file: string): DeliberateDifference[] {
  const list = JSON.parse(readFileSync(file, 'utf8')) as DeliberateDifference[];
  for (const entry of list) {
    if (!entry.endpoint || !entry.path || !entry.kind || !entry.reason?.trim()) {
      throw new Error(
        `${file}: every entry needs endpoint, path, kind and a reason: ${JSON.stringify(entry)}`,
      );
    }
  }
  return list;
}

/**
 * Compares one endpoint and sorts the differences against the deliberate ones: `unexplained` are
 * differences nobody listed, `stale` listed ones that no longer occur (the list must not outlive them).
 */
export function compareEndpoint(
  endpoint: string,
  real: unknown,
  sandboxSamples: readonly unknown[],
  deliberate: readonly DeliberateDifference[],
): { unexplained: ShapeDifference[]; stale: DeliberateDifference[] } {
  if (sandboxSamples.length === 0) throw new Error(`${endpoint}: no sandbox sample to compare`);
  const found = shapeDifferences(shapeOf([real]), shapeOf(sandboxSamples));
  const listed = deliberate.filter((d) => d.endpoint === endpoint);
  const matches = (d: DeliberateDifference, f: ShapeDifference) => d.path === f.path && d.kind === f.kind;
  return {
    unexplained: found.filter((f) => !listed.some((d) => matches(d, f))),
    stale: listed.filter((d) => !found.some((f) => matches(d, f))),
  };
}

/** One line per difference, for an assertion message. */
export function describe(endpoint: string, differences: readonly ShapeDifference[]): string {
  return differences.map((d) => `${endpoint}: ${d.kind} ${d.path} (${d.detail})`).join('\n');
}
