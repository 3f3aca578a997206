import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LIVE_EVENT_NAMES } from '../../src/events/registry.js';
import { ROOT, sourceFiles } from './source-files.js';

/**
 * One event registry (docs/ARCHITECTURE.md, "Live events"). `npm run
 * typecheck` already refuses an unknown name in `emitEvent` or `live.on`
 * (test/types/events.ts); this test reads the sources so the suite fails too,
 * and also catches what the types cannot: a name compared as a plain string,
 * and a registry entry nothing sends (a dead name consoles would wait for).
 */
const known = new Set<string>(LIVE_EVENT_NAMES);
/** Made by the console itself (web/src/live.ts), not by the server. */
const consoleOnly = new Set(['reset']);

function webFiles(dir = 'web/src'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...webFiles(rel));
    else if (/\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The event names the console's code names: `live.on('…')`/`live.on([…])` and `e.type === '…'`. */
function consoleNames(): { name: string; where: string }[] {
  const found: { name: string; where: string }[] = [];
  for (const file of webFiles()) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    if (!/\blive\b/.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
    const where = (n: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(n.getStart(source)).line + 1}`;
    const literals = (n: ts.Node): ts.StringLiteralLike[] =>
      ts.isStringLiteralLike(n) ? [n] : ts.isArrayLiteralExpression(n) ? n.elements.flatMap(literals) : [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && /(^|\.)live\.on$/.test(node.expression.getText(source)) && node.arguments[0]) {
        for (const lit of literals(node.arguments[0])) found.push({ name: lit.text, where: where(lit) });
      }
      if (
        ts.isBinaryExpression(node) &&
        [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(
          node.operatorToken.kind,
        )
      ) {
        const [a, b] = [node.left, node.right];
        const typeSide = [a, b].find((s) => ts.isPropertyAccessExpression(s) && s.name.text === 'type');
        const lit = [a, b].find(ts.isStringLiteralLike);
        // Only comparisons on an event (`e.type`, `ev.type`, `event.type`).
        if (typeSide && lit && /^(e|ev|event|evt)\.type$/.test(typeSide.getText(source))) {
          found.push({ name: lit.text, where: where(lit) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('live events: one registry', () => {
  it('the console subscribes only to names the server sends', () => {
    const names = consoleNames();
    expect(names.length).toBeGreaterThan(10);
    const unknown = names.filter((n) => !known.has(n.name) && !consoleOnly.has(n.name));
    expect(unknown).toEqual([]);
  });

  it('every registry entry is sent by some server code', () => {
    const server = sourceFiles(['src'])
      .filter((f) => f !== 'src/events/registry.ts')
      .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
      .join('\n');
    const unsent = LIVE_EVENT_NAMES.filter((name) => {
      if (server.includes(`'${name}'`)) return false;
      // A name built from its area (`customField.${action}`).
      const area = name.slice(0, name.lastIndexOf('.') + 1);
      return !(area && server.includes('`' + area + '${'));
    });
    expect(unsent).toEqual([]);
  });

  it('an unknown name is caught (the check itself works)', () => {
    expect(known.has('case.changed')).toBe(false);
    expect(known.has('interaction.pop')).toBe(false);
    expect(known.has('email.delivery')).toBe(true);
  });
});
