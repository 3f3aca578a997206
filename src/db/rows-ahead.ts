/**
 * Work on a batch of rows done before the transaction that uses it: an
 * import's next chunk is worked out while the previous chunk's transaction
 * runs, so the Node work overlaps the database's. Each row's share that needs
 * no lock is done against inputs read without the lock (custom field
 * definitions, settings), summed up as one comparable text, `inputsKey`.
 *
 * The transaction takes a row's work only if it was done for that very row
 * object and the inputs it reads under its lock give the same key; otherwise
 * it does the work again. What depends on rows of the database (matches,
 * links, row locks, uniqueness) is never done ahead.
 */
export class RowsAhead<Row extends object, Work> {
  /** In the order added (tests look at the work done). */
  readonly prepared: Work[] = [];
  private readonly byRow = new Map<Row, Work>();

  constructor(
    readonly inputsKey: string,
    private readonly prepare: (row: Row) => Work,
  ) {}

  add(row: Row): void {
    const work = this.prepare(row);
    this.byRow.set(row, work);
    this.prepared.push(work);
  }

  /** Whether the work was done with the inputs the transaction read (its `inputsKey`). */
  madeWith(inputsKey: string): boolean {
    return inputsKey === this.inputsKey;
  }

  /** The work done for `row` with these inputs; undefined: do it now. */
  get(row: Row, inputsKey: string): Work | undefined {
    return this.madeWith(inputsKey) ? this.byRow.get(row) : undefined;
  }
}
