import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Stream } from 'node:stream';
import { Invalid } from './errors.js';

/** Deepest nesting any JSON input may have (free-form values state their own, smaller bound in their schema). */
const MAX_INPUT_DEPTH = 32;

/**
 * The one check at the boundary for what no schema can state for every text
 * input: no NUL character (PostgreSQL refuses `\u0000` in text and jsonb, which
 * would be a 500), in any string or object key of the body, the query string
 * or the path, and no JSON nested deeper than MAX_INPUT_DEPTH (handlers and
 * serialisers recurse). Iterative, so a hostile depth cannot overflow the stack
 * here either. Answers the first offending field.
 */
function findBadInput(parts: Record<string, unknown>): { field: string; message: string } | null {
  const stack: { value: unknown; path: string; depth: number }[] = [];
  // Fields are named as the validation errors name them: the key itself, wherever it came from.
  for (const value of Object.values(parts)) {
    if (value !== undefined && value !== null) stack.push({ value, path: '', depth: 0 });
  }
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { field: path || 'body', message: 'must not contain the NUL character' };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    // A binary body is a Buffer and a streamed upload's body a stream: their internals are not input.
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Stream) continue;
    if (depth >= MAX_INPUT_DEPTH) return { field: path || 'body', message: `nested more than ${MAX_INPUT_DEPTH} deep` };
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: path ? `${path}.${i}` : String(i), depth: depth + 1 }));
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (k.includes('\u0000'))
        return { field: at.split('\u0000').join('\\0'), message: 'must not contain the NUL character' };
      stack.push({ value: v, path: at, depth: depth + 1 });
    }
  }
  return null;
}

function checkRequestInput(request: FastifyRequest): void {
  const bad = findBadInput({ params: request.params, query: request.query, body: request.body });
  if (bad) throw new Invalid([bad]);
}

/** Registers the check for every route, before schema validation (so before any handler or database). */
export function registerInputBoundary(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => checkRequestInput(request));
}

/** Whether a JSON value nests at most `max` deep (a scalar is 0 deep), without recursion. */
function nestsAtMost(value: unknown, max: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  return true;
}

/**
 * The schema keyword `x-maxDepth` (request bodies): how deep a free-form JSON
 * value may nest, stated in the schema the OpenAPI document shows.
 */
export const maxDepthKeyword = {
  keyword: 'x-maxDepth',
  schemaType: 'number',
  validate: maxDepthValidate,
} as const;

function maxDepthValidate(max: number, data: unknown): boolean {
  if (nestsAtMost(data, max)) return true;
  (maxDepthValidate as { errors?: unknown[] }).errors = [
    { keyword: 'x-maxDepth', message: `must not nest more than ${max} deep`, params: {} },
  ];
  return false;
}
