/**
 * Coalesces concurrent reads of one kind into one statement: the keys asked
 * for with `load(key)` during one turn of the event loop are answered together
 * by a single `loadMany(keys)` at the next `setImmediate`.
 *
 * Why: on a busy server the cost of a small indexed read is mostly the round
 * trip (a write to the database socket, waking a backend, reading the answer),
 * not the index probe. When a wave of calls hits the IVR or the CTI connector
 * at once, N lookups become one statement that probes the index N times. A
 * lone call waits for nothing but the end of the current event-loop turn.
 *
 * Only for reads outside a transaction (the pool): a statement inside a
 * transaction must see that transaction's own writes.
 */
export class Coalescer<V, I = undefined> {
  private queue = new Map<
    string,
    { input: I; waiters: { resolve: (v: V) => void; reject: (err: unknown) => void }[] }
  >();
  private scheduled = false;

  /**
   * `loadMany` answers a batch of distinct keys (a key missing from its map
   * gets `missing()`), with the input each key was first asked with (I: what
   * the statement needs, when the key is only its identity); `maxBatch` caps
   * the keys of one statement.
   */
  constructor(
    private readonly loadMany: (keys: string[], inputs: I[]) => Promise<Map<string, V>>,
    private readonly missing: () => V,
    private readonly maxBatch = 100,
  ) {}

  load(key: string, ...input: I extends undefined ? [] : [I]): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const queued = this.queue.get(key);
      if (queued) queued.waiters.push({ resolve, reject });
      else this.queue.set(key, { input: input[0] as I, waiters: [{ resolve, reject }] });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const chunk = keys.slice(i, i + this.maxBatch);
      this.loadMany(
        chunk,
        chunk.map((key) => batch.get(key)!.input),
      ).then(
        (found) => {
          for (const key of chunk) for (const w of batch.get(key)!.waiters) w.resolve(found.get(key) ?? this.missing());
        },
        (err: unknown) => {
          for (const key of chunk) for (const w of batch.get(key)!.waiters) w.reject(err);
        },
      );
    }
  }
}

/**
 * The rows of a batched statement grouped by the key each one answers (its
 * `match_key` column, dropped from the rows): the map a `loadMany` returns.
 */
export function groupByMatchKey<R extends { match_key: string }>(rows: R[]): Map<string, Omit<R, 'match_key'>[]> {
  const byKey = new Map<string, Omit<R, 'match_key'>[]>();
  for (const { match_key: key, ...row } of rows) {
    const list = byKey.get(key);
    if (list) list.push(row);
    else byKey.set(key, [row]);
  }
  return byKey;
}
