import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalesce.js';

describe('Coalescer', () => {
  it('answers the keys asked for in one turn with one call, each waiter its own value', async () => {
    const calls: string[][] = [];
    const c = new Coalescer<string | null>(
      async (keys) => {
        calls.push(keys);
        return new Map(keys.filter((k) => k !== 'nobody').map((k) => [k, k.toUpperCase()]));
      },
      () => null,
    );
    const answers = await Promise.all(['a', 'b', 'a', 'nobody', 'c'].map((k) => c.load(k)));
    expect(answers).toEqual(['A', 'B', 'A', null, 'C']);
    expect(calls).toEqual([['a', 'b', 'nobody', 'c']]);
    // A later turn is a new batch.
    expect(await c.load('d')).toBe('D');
    expect(calls).toHaveLength(2);
  });

  it('splits a large turn into batches of maxBatch keys', async () => {
    const sizes: number[] = [];
    const c = new Coalescer<number>(
      async (keys) => {
        sizes.push(keys.length);
        return new Map(keys.map((k) => [k, Number(k)]));
      },
      () => -1,
      10,
    );
    const keys = Array.from({ length: 25 }, (_, i) => String(i));
    expect(await Promise.all(keys.map((k) => c.load(k)))).toEqual(keys.map(Number));
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('rejects every waiter of a failed batch, and the next batch is unaffected', async () => {
    let fail = true;
    const c = new Coalescer<number>(
      async (keys) => {
        if (fail) throw new Error('database gone');
        return new Map(keys.map((k) => [k, 1]));
      },
      () => 0,
    );
    const results = await Promise.allSettled([c.load('x'), c.load('y'), c.load('x')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    expect(await c.load('x')).toBe(1);
  });

  it('gives loadMany the input each key was first asked with', async () => {
    const seen: [string[], { n: number }[]][] = [];
    const c = new Coalescer<number, { n: number }>(
      async (keys, inputs) => {
        seen.push([keys, inputs]);
        return new Map(keys.map((k, i) => [k, inputs[i].n * 10]));
      },
      () => 0,
    );
    const answers = await Promise.all([c.load('a', { n: 1 }), c.load('b', { n: 2 }), c.load('a', { n: 1 })]);
    expect(answers).toEqual([10, 20, 10]);
    expect(seen).toEqual([
      [
        ['a', 'b'],
        [{ n: 1 }, { n: 2 }],
      ],
    ]);
  });
});
