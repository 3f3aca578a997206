/**
 * CPU cost of an import's phone normalisation (PhoneMemo), in process: no server, no database.
 *
 *   npx tsx bench/phone-memo-bench.ts [--trees before=/path/to/checkout,after=.] [--rounds 7]
 *
 * Two inputs per tree, alternated round after round (CPU time of this process, so a loaded
 * machine inflates both alike): the phone numbers of import-bench.ts's 20,000-customer file
 * (its five formats; numbers repeat, so the memo answers most), and 20,000 distinct US numbers
 * in the same five formats (every number parsed: a real file's case). Reports the median CPU
 * time per number.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { log, ROOT } from './lib.js';

const { values: args } = parseArgs({
  options: { trees: { type: 'string', default: `current=${ROOT}` }, rounds: { type: 'string', default: '7' } },
});

interface Memo {
  normalise(raw: string, region: string): unknown;
}
type MemoClass = new () => Memo;

/** The formats import-bench.ts writes (the same arithmetic, so the same repeats). */
function benchPhone(i: number, k: number): string {
  const line = String((i * 7 + k * 3) % 10_000).padStart(4, '0');
  const area = ['415', '212', '617', '303'][(i + k) % 4];
  return shaped(area, '555', line, i + k, k);
}

function shaped(area: string, exchange: string, line: string, shape: number, k: number): string {
  switch (shape % 5) {
    case 0:
      return `(${area}) ${exchange}-${line}`;
    case 1:
      return `+1 ${area} ${exchange} ${line}`;
    case 2:
      return `${area}.${exchange}.${line}`;
    case 3:
      return `001 ${area} ${exchange} ${line}`;
    default:
      return `1-${area}-${exchange}-${line} x${k + 1}`;
  }
}

const inputs: Record<string, string[]> = { 'import-bench file': [], distinct: [] };
for (let i = 1; i <= 20_000; i++)
  for (let k = 0; k < 1 + (i % 3); k++) inputs['import-bench file'].push(benchPhone(i, k));
for (let i = 0; i < 20_000; i++) {
  const area = ['415', '212', '617', '303', '312', '213', '646', '702'][i % 8];
  const exchange = String(200 + ((i * 37) % 700));
  inputs.distinct.push(shaped(area, exchange, String(i % 10_000).padStart(4, '0'), i, 0));
}

const trees = await Promise.all(
  args.trees!.split(',').map(async (spec) => {
    const [name, dir] = spec.split('=');
    const file = path.resolve(dir, 'src/modules/customers/phones.ts');
    const mod = (await import(pathToFileURL(file).href)) as { PhoneMemo: MemoClass };
    return { name, PhoneMemo: mod.PhoneMemo };
  }),
);

const rounds = Number(args.rounds);
const cpu: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...trees].reverse() : trees;
  for (const [what, numbers] of Object.entries(inputs))
    for (const tree of order) {
      const memo = new tree.PhoneMemo();
      const start = process.cpuUsage();
      for (const raw of numbers) memo.normalise(raw, 'US');
      const used = process.cpuUsage(start);
      (cpu[`${what}|${tree.name}`] ??= []).push((used.user + used.system) / 1000);
    }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, ${rounds} rounds`,
);
log('| numbers | count | tree | median CPU ms | µs a number |');
log('|---|---|---|---|---|');
for (const [what, numbers] of Object.entries(inputs))
  for (const tree of trees) {
    const ms = median(cpu[`${what}|${tree.name}`]);
    log(
      `| ${what} | ${numbers.length.toLocaleString('en')} | ${tree.name} | ${ms.toFixed(0)} | ${((ms * 1000) / numbers.length).toFixed(1)} |`,
    );
  }
