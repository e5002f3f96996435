import { z } from 'zod';

/**
 * What the system stores must be storable as it was sent: PostgreSQL's text and jsonb refuse U+0000, a lone UTF-16
 * surrogate has no UTF-8 form (the driver would write U+FFFD instead, silently), JSON has no Infinity, and an integer
 * past 2^53 was already rounded when the JSON was parsed. Such input is refused with the path of the value at fault,
 * never altered. The checks walk the value with an explicit stack, so no nesting can overflow the call stack.
 */

/** Objects and arrays `content` may nest, content itself being the first level (docs/capture.md). */
export const MAX_CONTENT_DEPTH = 32;

export type StorablePath = Array<string | number>;
export interface StorableIssue {
  path: StorablePath;
  message: string;
}

const MAX_ISSUES = 20;

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only a surrogate that has no partner. One
// pass over the string finds either fault (the common case, a clean string, costs one regex test).
const UNSTORABLE = /[\0\p{Cs}]/u;

/** Why a string cannot be stored as it is (NUL, unpaired surrogate), or null. */
export function textProblem(s: string): string | null {
  const found = UNSTORABLE.exec(s);
  if (!found) return null;
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which PostgreSQL cannot store';
  return `contains an unpaired surrogate (\\u${found[0].charCodeAt(0).toString(16).toUpperCase()}), which is not valid Unicode`;
}

function numberProblem(n: number): string | null {
  if (!Number.isFinite(n)) return 'is not a finite number (JSON has no NaN or Infinity; 1e400 overflows)';
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) {
    return 'is an integer beyond ±9007199254740991 (2^53 - 1), which cannot be kept exactly; send it as a string';
  }
  return null;
}

function keyProblem(key: string, value: unknown): string | null {
  if (key === '__proto__') return 'the key __proto__ is not accepted';
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'prototype')) {
    return 'a constructor key holding prototype is not accepted';
  }
  const p = textProblem(key);
  return p && `the key ${p}`;
}

/**
 * Every place in `value` that JSON, PostgreSQL text or jsonb could not keep exactly: strings and keys with NUL or
 * unpaired surrogates, non-finite numbers and unsafe integers, values JSON has no form for (bigint, functions, Map,
 * class instances; a `toJSON` is honoured, as JSON.stringify would), and containers nested deeper than `maxDepth`
 * (the value itself is level 1). Stops after 20 issues. An object property that is undefined is fine (JSON drops it).
 */
interface WalkNode {
  value: unknown;
  parent: WalkNode | null;
  key: string | number;
  depth: number;
}

function pathOf(node: WalkNode): StorablePath {
  const path: StorablePath = [];
  for (let n: WalkNode | null = node; n && n.parent; n = n.parent) path.push(n.key);
  return path.reverse();
}

export function storableIssues(value: unknown, opts: { maxDepth: number; depthMessage?: string }): StorableIssue[] {
  const issues: StorableIssue[] = [];
  const stack: WalkNode[] = [{ value, parent: null, key: '', depth: 1 }];
  // This runs for every value of every ingested event: no closure and no path array per value (a path is built
  // from the parent links only for a value at fault).
  while (stack.length && issues.length < MAX_ISSUES) {
    const node = stack.pop()!;
    let v = node.value;
    let message: string | null = null;
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(key: string): unknown }).toJSON(String(node.key));
    }
    const type = typeof v;
    if (type === 'string') message = textProblem(v as string);
    else if (type === 'number') message = numberProblem(v as number);
    // undefined is only reached for the root and array elements: undefined object properties are skipped below.
    else if (type === 'undefined') message = 'is undefined, which JSON cannot hold';
    else if (type !== 'boolean' && type !== 'object') message = `is a ${type}, which JSON cannot hold`;
    else if (type === 'object' && v !== null) {
      if (node.depth > opts.maxDepth) message = opts.depthMessage ?? `nests objects and arrays deeper than ${opts.maxDepth} levels`;
      else if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: node, key: i, depth: node.depth + 1 });
      } else {
        const proto = Object.getPrototypeOf(v) as object | null;
        if (proto !== Object.prototype && proto !== null) {
          message = `is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a plain JSON object`;
        } else {
          const keys = Object.keys(v as object);
          for (let i = keys.length - 1; i >= 0; i--) {
            const key = keys[i];
            const child = (v as Record<string, unknown>)[key];
            const kp = keyProblem(key, child);
            if (kp) issues.push({ path: [...pathOf(node), key], message: kp });
            // A clean string, finite number or boolean needs no node of its own (most values of an event).
            else if (typeof child === 'string' ? !UNSTORABLE.test(child) : typeof child === 'boolean' || (typeof child === 'number' && numberProblem(child) === null)) continue;
            else if (child !== undefined) stack.push({ value: child, parent: node, key, depth: node.depth + 1 });
          }
        }
      }
    }
    if (message) issues.push({ path: pathOf(node), message });
  }
  // Children are pushed in reverse and popped first, so issues come in document order.
  return issues;
}

/** A zod check for a single string: refuses NUL and unpaired surrogates, naming the field. */
export function storableText<T extends z.ZodType<string>>(schema: T): T {
  return schema.superRefine((s, ctx) => {
    const p = textProblem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }) as unknown as T;
}

/**
 * An object `schema`, preceded by storableIssues() over the raw input: what PostgreSQL or JSON cannot keep exactly is
 * refused before the schema sees it (zod would silently drop a `__proto__` key). Input that is not a plain object
 * goes straight to the schema, which refuses it as the wrong type. The input type is kept.
 */
export function storable<T extends z.ZodType>(schema: T, opts: { maxDepth: number; depthMessage?: string }) {
  return z.preprocess<unknown, T, z.input<T>>((value, ctx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    for (const issue of storableIssues(value, opts)) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
    return value;
  }, schema);
}

/** A zod issue path as one readable string: `events[3].content.params.x`, `content["a b"]` (zod's own notation). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return z.core.toDotPath(path as Array<string | number | symbol>);
}
