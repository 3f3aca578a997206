import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ROOT, sourceFiles } from './source-files.js';

/**
 * The one calling convention (docs/ARCHITECTURE.md, "Transactions"): a public
 * method of a module's or a flow's class that can work inside a caller's
 * transaction takes it as its last parameter, `tx?: Queryable`, and runs
 * through `inTransaction` (src/db/adapter.ts). Read from the source, so a
 * method written another way fails here rather than in review.
 */
describe('calling convention: tx?: Queryable, last', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(['src/modules', 'src/flows'])) {
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isClassDeclaration(node)) {
        for (const member of node.members) {
          if (!ts.isMethodDeclaration(member) || !member.body) continue;
          const modifiers = ts.getModifiers(member) ?? [];
          if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) continue;
          const params = member.parameters;
          params.forEach((p, i) => {
            if (!p.type || !/\bQueryable\b/.test(p.type.getText(source))) return;
            const ok = p.name.getText(source) === 'tx' && !!p.questionToken && i === params.length - 1;
            if (!ok) {
              const where = `${file}:${source.getLineAndCharacterOfPosition(member.getStart(source)).line + 1}`;
              offenders.push(`${where} ${node.name?.text}.${member.name.getText(source)}(${p.getText(source)})`);
            }
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  it('every public method taking a Queryable takes it as `tx?`, last', () => {
    expect(offenders).toEqual([]);
  });
});
