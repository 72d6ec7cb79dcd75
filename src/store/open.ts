import { isPostgresUrl } from "./location.ts";
import type { Store } from "./store.ts";

/**
 * Opens the store at `location`: a `postgres://` or `postgresql://` URL opens the PostgreSQL store (connecting
 * and bringing its schema up to date), anything else is a SQLite file path or `:memory:`. Each driver is loaded
 * only when its store is opened: the SQLite driver is a native module, and a command that never touches a
 * database loads neither.
 */
export async function openStoreAt(location: string): Promise<Store> {
  if (isPostgresUrl(location)) {
    const { openPostgresStore } = await import("./postgres/index.ts");
    return openPostgresStore(location);
  }
  const { openStore } = await import("./sqlite/index.ts");
  return openStore(location);
}
