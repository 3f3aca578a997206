import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './source-files.js';

/**
 * API types from one source (docs/ARCHITECTURE.md, "The console's API types"):
 * the console's request and response types are the server's TypeBox schemas
 * (web/src/apiTypes.ts, `Static<typeof Schema>`), so a drift between server
 * and console fails `npm run typecheck`. This test keeps it that way: it fails
 * when web/src declares by hand an object shape with the same fields as one
 * of the server's schemas (a copy that would drift silently).
 */

/** Object schemas nested anywhere in a TypeBox schema: their sorted property names. */
function objectShapes(schema: unknown, out: Map<string, string>, name: string, seen = new Set<unknown>()): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && s.properties && typeof s.properties === 'object') {
    const keys = Object.keys(s.properties).sort();
    if (keys.length >= 4 && !out.has(keys.join(','))) out.set(keys.join(','), name);
    for (const [k, v] of Object.entries(s.properties)) objectShapes(v, out, `${name}.${k}`, seen);
  }
  for (const key of ['items', 'anyOf', 'allOf', 'oneOf']) {
    const v = s[key];
    if (Array.isArray(v)) v.forEach((x) => objectShapes(x, out, name, seen));
    else if (v) objectShapes(v, out, name, seen);
  }
}

function files(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel, pattern));
    else if (pattern.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The schema modules: every module's schema.ts, the http schemas, and the modules' files that export schemas. */
const SCHEMA_FILES = [
  ...files('src/modules', /^schema\.ts$/),
  'src/http/schemas.ts',
  'src/modules/customers/duplicates.ts',
  'src/modules/customers/merge.ts',
];

async function serverShapes(): Promise<Map<string, string>> {
  const shapes = new Map<string, string>();
  for (const file of SCHEMA_FILES) {
    const mod = (await import(pathToFileURL(path.join(ROOT, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) objectShapes(value, shapes, `${file}#${name}`);
  }
  return shapes;
}

/** Object shapes declared in the console's code: interfaces and type literals, with their field names. */
function consoleShapes(): { keys: string; where: string }[] {
  const found: { keys: string; where: string }[] = [];
  for (const file of files('web/src', /\.tsx?$/)) {
    const source = ts.createSourceFile(
      file,
      readFileSync(path.join(ROOT, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
      ts.ScriptKind.TSX,
    );
    const visit = (node: ts.Node): void => {
      if (ts.isInterfaceDeclaration(node) || ts.isTypeLiteralNode(node)) {
        const keys = node.members
          .filter(ts.isPropertySignature)
          .map((m) => m.name.getText(source).replace(/^['"]|['"]$/g, ''))
          .sort();
        if (keys.length >= 4) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push({ keys: keys.join(','), where: `${file}:${line}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('API types from one source', () => {
  it('the hand-written copy is gone: web/src/types.ts does not exist', () => {
    expect(existsSync(path.join(ROOT, 'web/src/types.ts'))).toBe(false);
    expect(existsSync(path.join(ROOT, 'web/src/apiTypes.ts'))).toBe(true);
  });

  it('web/src declares no shape the server has a schema for (import it from apiTypes.ts)', async () => {
    const shapes = await serverShapes();
    expect(shapes.size).toBeGreaterThan(30);
    const copies = consoleShapes()
      .filter((c) => shapes.has(c.keys))
      .map((c) => `${c.where} copies ${shapes.get(c.keys)} (${c.keys})`);
    expect(copies).toEqual([]);
  });
});
