import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-files.js';

/** Every file that may import from src/: the server, its tests, the console, benchmarks and scripts. */
function readers(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') walk(rel);
      } else if (/\.(ts|tsx|mjs)$/.test(e.name)) out.push(rel);
    }
  };
  for (const dir of ['src', 'test', 'web/src', 'bench', 'scripts', 'bin']) walk(dir);
  return out;
}

/**
 * No dead exports: a name a module exports is used by some other file, or it
 * is not exported. Read from the source (a word match, so a namespace import's
 * `store.name` counts), so an export left behind by a change fails here.
 */
describe('exports are used', () => {
  it('every name exported under src/ is used outside its own file', () => {
    const words = new Map<string, Set<string>>();
    for (const file of readers()) {
      words.set(file, new Set(readFileSync(path.join(ROOT, file), 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? []));
    }
    const unused: string[] = [];
    for (const file of sourceFiles(['src'])) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(
        /^export (?:async )?(?:function|const|class|interface|type|enum) ([A-Za-z_$][\w$]*)/gm,
      )) {
        const name = m[1];
        const usedElsewhere = [...words].some(([other, set]) => other !== file && set.has(name));
        if (!usedElsewhere) unused.push(`${file} ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
