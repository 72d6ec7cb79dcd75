/**
 * Where a store lives, as the user writes it (`--db`, `MODELMAP_DB`): a SQLite file path, `:memory:`, or a
 * PostgreSQL URL. Kept apart from both drivers so that telling them apart loads neither.
 */

/** `postgres://` or `postgresql://`: a database on a PostgreSQL server. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location as it may be shown or logged: a URL without its password. */
export function redactUrl(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const u = new URL(location);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return location.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}
