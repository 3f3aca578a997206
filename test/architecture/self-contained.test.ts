import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './source-files.js';

/**
 * The repository stands alone: code and docs point at docs/ (docs/product.md,
 * docs/api.md), never at documents kept outside it.
 */
const OUTSIDE = [['PRODUCT', 'md'].join('.'), ['API', 'md'].join('.'), ['..', 'shared'].join('/')];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel));
    else if (/\.(ts|tsx|md|sql|mjs|css|html)$/.test(e.name)) out.push(rel);
  }
  return out;
}

describe('a self-contained repository', () => {
  it('nothing refers to documents outside the repository', () => {
    const offenders = ['src', 'test', 'web/src', 'docs', 'bench', 'bin']
      .flatMap(files)
      .concat('README.md')
      .flatMap((f) => {
        const text = readFileSync(path.join(ROOT, f), 'utf8');
        return OUTSIDE.filter((name) => text.includes(name)).map((name) => `${f}: ${name}`);
      });
    expect(offenders).toEqual([]);
  });

  it('the product overview and the API conventions are in docs/', () => {
    expect(readFileSync(path.join(ROOT, 'docs/product.md'), 'utf8')).toMatch(/C8 Duplicates and merging/);
    expect(readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8')).toMatch(/problem\+json/);
  });
});
