/**
 * The stores a contract test runs against: SQLite in memory, and PostgreSQL on a throwaway cluster
 * (`./postgres.ts`) started once per test file. Each `open()` gives a fresh, empty, migrated store; the
 * PostgreSQL databases are copies of one migrated template, so a test does not pay for the migrations.
 */
import { after, before } from "node:test";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/index.ts";
import { openStore, type SqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { type PgCluster, startPostgres } from "./postgres.ts";

export interface StoreKind {
  readonly name: "sqlite" | "postgres";
  open(): Promise<Store>;
  /** Runs `fn` on a fresh store and closes it after. */
  with<T>(fn: (store: Store) => Promise<T>): Promise<T>;
}

const TEMPLATE = "modelmap_template";

/** Registers the cluster's start and stop with this file's `before` and `after`; call at the top of a test file. */
export function storeKinds(): StoreKind[] {
  let cluster: PgCluster | undefined;
  before(async () => {
    cluster = await startPostgres();
    const store = await openPostgresStore(await cluster.createDatabase({ name: TEMPLATE }));
    await store.close();
  });
  after(async () => {
    await cluster?.stop();
  });
  const kind = (name: StoreKind["name"], open: () => Promise<Store>): StoreKind => ({
    name,
    open,
    async with(fn) {
      const store = await open();
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
  });
  return [
    kind("sqlite", async (): Promise<SqliteStore> => openStore(":memory:")),
    kind("postgres", async (): Promise<PostgresStore> => {
      if (!cluster) throw new Error("the PostgreSQL cluster is started in before(): open stores inside tests");
      return openPostgresStore(await cluster.createDatabase({ template: TEMPLATE }));
    }),
  ];
}
