/**
 * Calls of one statement made at about the same time, sent to PostgreSQL as one statement over all their rows: the
 * labeling hot paths (next and vote), where one round trip and one commit per call cost more CPU than the work
 * itself, on both sides of the socket. Calls made in one event-loop turn wait for the check phase (`setImmediate`)
 * and go together, or, with `lingerMs`, the first call of a batch waits that long for others (a group commit);
 * while `maxInFlight` batches run, new calls gather for the next one, which goes as soon as one ends, so batches grow
 * with the load and a call waits at most for one batch before its own.
 *
 * Two calls with the same key never share a batch (the later one goes in the next): a statement that writes a row
 * twice is not what the single call's statement did. A batch that fails is retried call by call, so that each call
 * gets its own answer or error, as if it had been sent alone.
 */

interface Pending<I, O> {
  item: I;
  key: string;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  /** Batches of this kind running at once (default 2). */
  maxInFlight?: number;
  /** Most calls in one batch (default 500): bounds the size of the statement's parameter. */
  maxBatch?: number;
  /**
   * Milliseconds the first call of a batch waits for others to join it (default 0: to the end of its event-loop
   * turn). Calls that gathered behind running batches do not wait again.
   */
  lingerMs?: number;
}

export class Batcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #key: (item: I) => string;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  #queue: Array<Pending<I, O>> = [];
  #scheduled = false;
  #inFlight = 0;

  /** `run` answers a batch with one result per item, in the items' order. */
  constructor(run: (items: I[]) => Promise<O[]>, key: (item: I) => string, options: BatcherOptions = {}) {
    this.#run = run;
    this.#key = key;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#lingerMs = options.lingerMs ?? 0;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, key: this.#key(item), resolve, reject });
      this.#schedule(this.#queue.length === 1);
    });
  }

  /** `first`: the queue's only call was just added (it lingers); else calls that waited go at the next turn. */
  #schedule(first = false): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    const go = () => {
      this.#scheduled = false;
      this.#flush();
    };
    if (first && this.#lingerMs > 0) setTimeout(go, this.#lingerMs);
    else setImmediate(go);
  }

  #flush(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    const batch: Array<Pending<I, O>> = [];
    const keys = new Set<string>();
    const rest: Array<Pending<I, O>> = [];
    for (const p of this.#queue) {
      if (batch.length < this.#maxBatch && !keys.has(p.key)) {
        keys.add(p.key);
        batch.push(p);
      } else rest.push(p);
    }
    this.#queue = rest;
    this.#inFlight++;
    void this.#send(batch).finally(() => {
      this.#inFlight--;
      this.#schedule();
    });
    // Calls left behind by a shared key go in the next batch, which may start now.
    this.#schedule();
  }

  async #send(batch: Array<Pending<I, O>>): Promise<void> {
    let out: O[];
    try {
      out = await this.#run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${out.length} results`);
    } catch (e) {
      if (batch.length === 1) {
        (batch[0] as Pending<I, O>).reject(e);
        return;
      }
      // One call's bad row fails the whole statement: each call alone, so the error reaches only its own caller.
      await Promise.all(
        batch.map((p) =>
          this.#run([p.item]).then(
            (o) => p.resolve(o[0] as O),
            (err: unknown) => p.reject(err),
          ),
        ),
      );
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(out[i] as O);
    });
  }
}
