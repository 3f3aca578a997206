import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSnapshots, renderSnapshots, SNAPSHOT_DIR } from '../../src/db/sql-snapshots.js';

/**
 * Visible SQL (docs/ARCHITECTURE.md, "SQL snapshots"): the hot paths'
 * run-time-built statements, rendered by the code, must equal the files
 * checked in under src/db/snapshots/. A query change without its snapshot
 * fails here: run `npm run sql:snapshots` and commit the files.
 */
describe('SQL snapshots', () => {
  it('the checked-in files are what the code builds', async () => {
    const rendered = await renderSnapshots();
    expect(rendered.size).toBeGreaterThanOrEqual(20);
    expect(compareSnapshots(rendered), 'run `npm run sql:snapshots` and commit src/db/snapshots/').toEqual([]);
  });

  it('a changed, missing or stale file is reported', async () => {
    const rendered = await renderSnapshots();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-snapshots-'));
    try {
      const [first, second] = [...rendered.keys()];
      for (const [file, text] of rendered) writeFileSync(path.join(dir, file), text);
      writeFileSync(path.join(dir, first), rendered.get(first)!.replace('SELECT', 'SELECT DISTINCT'));
      rmSync(path.join(dir, second));
      writeFileSync(path.join(dir, 'gone.sql'), 'SELECT 1;\n');
      expect(compareSnapshots(rendered, dir).sort()).toEqual(
        [`${first}: differs from the code's SQL`, `${second}: missing`, 'gone.sql: no longer built by the code'].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every snapshot names the code that builds it', () => {
    for (const f of readdirSync(SNAPSHOT_DIR))
      expect(f).toMatch(/^(screen-pop|customers|cases|search)\.[a-z.-]+\.sql$/);
  });
});
