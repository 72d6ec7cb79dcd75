import { AsyncLocalStorage } from "node:async_hooks";
import { ModelmapError } from "../core/errors.ts";

/**
 * The transaction a call belongs to, carried by the async context rather than passed by hand: a service that
 * runs `store.transaction(async () => { await store.votes.add(...) })` needs no transaction handle, and a
 * transaction inside one (a service calling another) becomes a savepoint, as with synchronous SQLite before.
 * Each store implementation keeps its own connection (or lock) in `conn`.
 */
export interface TxContext<C> {
  /** The store the transaction belongs to: a call through another store is not part of it. */
  readonly owner: object;
  readonly conn: C;
  /** Set at commit or rollback: work that escaped the transaction (a promise left running) runs outside it. */
  done: boolean;
  /** Open savepoints, innermost last. */
  readonly savepoints: string[];
}

const als = new AsyncLocalStorage<TxContext<unknown>>();
let savepoints = 0;

/** The open transaction of `owner` that the current call runs in, if any. */
export function currentTx<C>(owner: object): TxContext<C> | undefined {
  const ctx = als.getStore();
  return ctx !== undefined && ctx.owner === owner && !ctx.done ? (ctx as TxContext<C>) : undefined;
}

export function runInTx<C, T>(ctx: TxContext<C>, fn: () => Promise<T> | T): Promise<T> {
  return als.run(ctx as TxContext<unknown>, async () => fn());
}

/** Runs `fn` with no transaction in its async context (so that timers it sets do not inherit one). */
export function outsideTx<T>(fn: () => T): T {
  return als.exit(fn);
}

/**
 * Runs `fn` in a savepoint of the open transaction `ctx`; `exec` sends one statement on its connection.
 * Savepoints are a stack on one connection, so two that overlap in time would release each other: that is
 * refused loudly rather than corrupting the transaction.
 */
export async function inSavepoint<C, T>(
  ctx: TxContext<C>,
  exec: (sql: string) => Promise<unknown> | unknown,
  fn: () => Promise<T> | T,
): Promise<T> {
  // Unique across transactions: a savepoint statement that runs late can never name another one's savepoint.
  const name = `sp_${++savepoints}`;
  const run = (sql: string) => {
    if (ctx.done) throw new ModelmapError("internal", "a savepoint outlived its transaction");
    return exec(sql);
  };
  // On the stack before the statement is awaited: statements run in the order they are issued, so the stack
  // is the server's order even when another savepoint is issued while this one's statement is in flight.
  ctx.savepoints.push(name);
  try {
    await run(`SAVEPOINT ${name}`);
  } catch (e) {
    ctx.savepoints.splice(ctx.savepoints.lastIndexOf(name), 1);
    throw e;
  }
  const pop = () => {
    if (ctx.savepoints[ctx.savepoints.length - 1] !== name)
      throw new ModelmapError("internal", "nested store transactions ran concurrently; run them one after another");
    ctx.savepoints.pop();
  };
  let value: T;
  try {
    value = await fn();
  } catch (e) {
    pop();
    await run(`ROLLBACK TO SAVEPOINT ${name}`);
    await run(`RELEASE SAVEPOINT ${name}`);
    throw e;
  }
  pop();
  await run(`RELEASE SAVEPOINT ${name}`);
  return value;
}

/**
 * The group commit of `Store.groupCommit`, for any store: calls queued in one turn of the event loop run one
 * after another in one transaction, each in its own savepoint (a nested `transaction`).
 */
export class GroupCommit {
  readonly #owner: object;
  readonly #transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  #queue: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];

  constructor(owner: object, transaction: <T>(fn: () => Promise<T>) => Promise<T>) {
    this.#owner = owner;
    this.#transaction = transaction;
  }

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    if (currentTx(this.#owner))
      return Promise.reject(new ModelmapError("internal", "groupCommit was called inside a transaction"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      // Scheduled outside any async context, so that the flush does not inherit the first caller's.
      if (this.#queue.length === 1) outsideTx(() => setImmediate(() => void this.#flush()));
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.#transaction(async () => {
        // A batch of one needs no savepoint: if the call fails, the transaction holds nothing else.
        if (batch.length === 1) {
          results.push({ ok: true, value: await (batch[0] as (typeof batch)[number]).fn() });
          return;
        }
        for (const job of batch) {
          try {
            results.push({ ok: true, value: await this.#transaction(async () => job.fn()) });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const r = results[i] as (typeof results)[number];
      if (r.ok) job.resolve(r.value);
      else job.reject(r.error);
    });
  }
}
