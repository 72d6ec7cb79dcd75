import { currentTx } from "../tx.ts";

/**
 * better-sqlite3 is synchronous, the `Store` interface is not. The repositories here stay synchronous classes
 * (one statement runs to the end in one call, as SQLite does anyway) and `asyncRepo` puts the promise-returning
 * interface in front of them, behind one lock per connection: while a transaction of one caller is open on
 * the connection, everybody else's calls wait for it instead of landing inside it.
 */

/** The synchronous shape of an async repository interface: `Promise<R>` becomes `R`, async iterators sync ones. */
export type Sync<T> = {
  [K in keyof T]: T[K] extends (...a: infer A) => AsyncIterableIterator<infer R>
    ? (...a: A) => IterableIterator<R>
    : T[K] extends (...a: infer A) => Promise<infer R>
      ? (...a: A) => R
      : T[K];
};

/** The connection's lock: held by an open transaction, for the length of it. */
export class SqliteLock {
  readonly #owner: object;
  #held: Promise<void> | null = null;

  constructor(owner: object) {
    this.#owner = owner;
  }

  /** Runs a synchronous database call now, or once another caller's open transaction has ended. */
  run<R>(f: () => R): Promise<R> {
    if (this.#held === null || currentTx(this.#owner)) {
      try {
        return Promise.resolve(f());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#held.then(() => this.run(f));
  }

  /** Waits for the lock and takes it; the returned function gives it back. */
  async acquire(): Promise<() => void> {
    while (this.#held !== null) await this.#held;
    let release = () => {};
    this.#held = new Promise<void>((r) => {
      release = r;
    });
    return () => {
      this.#held = null;
      release();
    };
  }
}

/** Rows an async iterator takes from its synchronous source per turn. */
const BATCH = 512;

async function* gatedIterator<R>(lock: SqliteLock, make: () => Iterator<R>): AsyncGenerator<R> {
  const it = await lock.run(make);
  for (;;) {
    let done = false;
    const batch = await lock.run(() => {
      const out: R[] = [];
      while (out.length < BATCH) {
        const r = it.next();
        if (r.done) {
          done = true;
          break;
        }
        out.push(r.value);
      }
      return out;
    });
    yield* batch;
    if (done) return;
  }
}

/**
 * The async face of a synchronous repository. Methods named `iterate*` return async iterators; their
 * synchronous sources must read in pages (`.all()` with a key), never hold a cursor open between calls, since
 * other statements run on the connection between two batches.
 */
export function asyncRepo<T extends object>(impl: Sync<T>, lock: SqliteLock): T {
  const out: Record<string, unknown> = {};
  for (let p = Object.getPrototypeOf(impl); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const f = (impl as Record<string, unknown>)[name];
      if (name === "constructor" || name in out || typeof f !== "function") continue;
      out[name] = name.startsWith("iterate")
        ? (...a: unknown[]) => gatedIterator(lock, () => f.apply(impl, a) as Iterator<unknown>)
        : (...a: unknown[]) => lock.run(() => f.apply(impl, a));
    }
  }
  return out as T;
}
