/**
 * The job queue: pg-boss on the service's PostgreSQL database (docs/decisions/0011-queue.md). pg-boss owns the
 * job table (SKIP LOCKED fetches, retries, expiry of a lease whose holder went quiet); this file adds the two
 * things modelmap needs on top: a heartbeat that keeps a long job's lease, and a listing across queues for the
 * CLI and the queue page. Only this file imports pg-boss.
 */
import PgBoss from "pg-boss";
import { ModelmapError } from "../core/errors.ts";
import { isPostgresUrl } from "../store/location.ts";
import { type JobData, MAP_QUEUE, queueOf } from "./jobs.ts";

export type JobState = "created" | "retry" | "active" | "completed" | "cancelled" | "failed";

export interface JobRecord {
  id: string;
  queue: string;
  state: JobState;
  data: unknown;
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date | null;
}

/** A job a worker holds: `attempt` tells this lease from a later one of the same job. */
export interface LeasedJob {
  id: string;
  queue: string;
  data: unknown;
  attempt: number;
}

export interface QueueOptions {
  /** Seconds a job stays leased without a heartbeat before another worker may take it (default 60). */
  leaseSeconds?: number;
  /** Retries after a failure or an expired lease (default 5). */
  retryLimit?: number;
  /** How often this process checks for expired leases (seconds, >= 1; default 2). */
  superviseSeconds?: number;
  /** Connections this process may hold (default 4). */
  maxConnections?: number;
  /** Errors of pg-boss's background supervision (expiry checks); they are retried at the next interval. */
  onError?: (e: Error) => void;
}

const SCHEMA = "pgboss";

export class JobQueue {
  private readonly created = new Map<string, Promise<void>>();

  /**
   * pg-boss's expiry: the lease less one and a half supervision intervals (one process checks per interval, give or take a timer), so that a silent holder's job is free again within
   * the lease time of its last heartbeat (expiry is checked once per interval).
   */
  private readonly expireSeconds: number;

  private constructor(
    private readonly boss: PgBoss,
    readonly leaseSeconds: number,
    private readonly retryLimit: number,
    superviseSeconds: number,
  ) {
    this.expireSeconds = Math.max(1, leaseSeconds - 1.5 * superviseSeconds);
  }

  /** Connects and installs or upgrades pg-boss's schema. */
  static async open(url: string, opts: QueueOptions = {}): Promise<JobQueue> {
    if (!isPostgresUrl(url))
      throw new ModelmapError(
        "usage",
        "the job queue needs a PostgreSQL database: --db postgres://... or MODELMAP_DB",
        {
          hint: "SQLite stays the embedded default for one machine; queues and workers need a server",
        },
      );
    const boss = new PgBoss({
      connectionString: url,
      schema: SCHEMA,
      max: opts.maxConnections ?? 4,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: opts.superviseSeconds ?? 2,
      monitorStateIntervalSeconds: 3600,
    });
    // pg-boss reports failures of its background supervision here; an unhandled 'error' event would end the process.
    boss.on("error", (e) => opts.onError?.(e));
    try {
      await boss.start();
    } catch (e) {
      throw new ModelmapError("backend", `cannot open the job queue: ${(e as Error).message}`, { cause: e });
    }
    return new JobQueue(boss, opts.leaseSeconds ?? 60, opts.retryLimit ?? 5, opts.superviseSeconds ?? 2);
  }

  /**
   * Creates the queue once. pg-boss's create_queue takes locks that deadlock when two callers create the same queue
   * at once (workers starting together): this process asks once per name, and a deadlock or a lost race with
   * another process is retried, after which the queue exists.
   */
  private ensureQueue(name: string): Promise<void> {
    let p = this.created.get(name);
    if (!p) {
      p = this.createQueue(name);
      this.created.set(name, p);
      p.catch(() => this.created.delete(name));
    }
    return p;
  }

  private async createQueue(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.boss.getQueue(name)) return;
        await this.boss.createQueue(name, {
          name,
          policy: "standard",
          retryLimit: this.retryLimit,
          retryDelay: 0,
          retryBackoff: false,
          expireInSeconds: Math.ceil(this.expireSeconds),
        });
        return;
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (attempt >= 5 || (code !== "40P01" && code !== "23505" && code !== "40001")) throw e;
        await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
      }
    }
  }

  /** Queues a job; returns its id. */
  /**
   * Queues a job; returns its id. With `id` (a UUID), a job of that id already in the queue makes this throw
   * `conflict`: two identical submissions at once then queue one job.
   */
  async send(data: JobData, opts: { priority?: number; id?: string } = {}): Promise<string> {
    const queue = queueOf(data);
    await this.ensureQueue(queue);
    const id = await this.boss.send(queue, data, {
      ...(opts.id ? { id: opts.id } : {}),
      priority: opts.priority ?? 0,
      retryLimit: this.retryLimit,
      retryDelay: 0,
      expireInSeconds: Math.ceil(this.expireSeconds),
    });
    if (id === null) throw new ModelmapError("conflict", `job ${opts.id ?? ""} is already in the queue (${queue})`);
    return id;
  }

  /** Leases the next job of `queue` (highest priority, oldest first), or undefined when there is none. */
  async take(queue: string): Promise<LeasedJob | undefined> {
    await this.ensureQueue(queue);
    const [job] = await this.boss.fetch(queue, { batchSize: 1, includeMetadata: true, priority: true });
    if (!job) return undefined;
    const leased = { id: job.id, queue, data: job.data, attempt: job.retryCount };
    // The holder's lease, not the sender's: the first heartbeat sets this worker's expiry on the job.
    await this.heartbeat(leased);
    return leased;
  }

  /**
   * Renews the lease (pg-boss measures it from `started_on`). False when the lease is gone: the job expired and was
   * handed on, or was cancelled; the holder must stop.
   */
  async heartbeat(job: LeasedJob): Promise<boolean> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `UPDATE ${SCHEMA}.job SET started_on = now(), expire_in = make_interval(secs => $4) WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3 RETURNING id`,
        [job.queue, job.id, job.attempt, this.expireSeconds],
      );
    return rows.length === 1;
  }

  async complete(job: LeasedJob, output: object): Promise<void> {
    await this.boss.complete(job.queue, job.id, output);
  }

  /** Fails this attempt; pg-boss retries it while retries are left. */
  async fail(job: LeasedJob, message: string): Promise<void> {
    await this.boss.fail(job.queue, job.id, { message });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const [r] = await this.list({ id });
    return r;
  }

  /** Jobs of modelmap's queues, newest first, from the live table and the archive. */
  async list(filter: { state?: JobState; id?: string; limit?: number } = {}): Promise<JobRecord[]> {
    const cols =
      "id::text, name, state::text, data, output, retry_count, retry_limit, created_on, started_on, completed_on";
    const where = ["(name = $1 OR name LIKE 'mm-eval-%')"];
    const params: unknown[] = [MAP_QUEUE];
    if (filter.state) {
      params.push(filter.state);
      where.push(`state::text = $${params.length}`);
    }
    if (filter.id) {
      if (!/^[0-9a-f-]{36}$/i.test(filter.id)) return [];
      params.push(filter.id);
      where.push(`id = $${params.length}::uuid`);
    }
    params.push(filter.limit ?? 200);
    const w = where.join(" AND ");
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT * FROM (SELECT ${cols} FROM ${SCHEMA}.job WHERE ${w} UNION ALL SELECT ${cols} FROM ${SCHEMA}.archive WHERE ${w}) j ORDER BY created_on DESC LIMIT $${params.length}`,
        params,
      );
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      queue: String(r.name),
      state: String(r.state) as JobState,
      data: r.data,
      output: r.output ?? null,
      retryCount: Number(r.retry_count),
      retryLimit: Number(r.retry_limit),
      createdOn: r.created_on as Date,
      startedOn: (r.started_on as Date | null) ?? null,
      completedOn: (r.completed_on as Date | null) ?? null,
    }));
  }

  /**
   * Eval jobs with this key: those queued, running or finished, and how many failed or were cancelled (such an
   * evaluation may be submitted again).
   */
  async withKey(key: string): Promise<{ live: JobRecord[]; dead: number }> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT id::text FROM (SELECT id, data FROM ${SCHEMA}.job WHERE name LIKE 'mm-eval-%' UNION ALL SELECT id, data FROM ${SCHEMA}.archive WHERE name LIKE 'mm-eval-%') j WHERE data->>'key' = $1`,
        [key],
      );
    const jobs = (await Promise.all(rows.map((r: { id: string }) => this.get(r.id)))).filter(
      (j): j is JobRecord => j !== undefined,
    );
    const live = jobs.filter((j) => j.state !== "failed" && j.state !== "cancelled");
    return { live, dead: jobs.length - live.length };
  }

  /** Jobs this submitter queued since `since`. */
  async countBySubmitter(submitter: string, since: Date): Promise<number> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT count(*)::int AS n FROM (SELECT data, created_on FROM ${SCHEMA}.job WHERE name LIKE 'mm-eval-%' UNION ALL SELECT data, created_on FROM ${SCHEMA}.archive WHERE name LIKE 'mm-eval-%') j WHERE data->>'submitter' = $1 AND created_on >= $2`,
        [submitter, since],
      );
    return Number((rows[0] as { n?: unknown } | undefined)?.n ?? 0);
  }

  private async require(id: string): Promise<JobRecord> {
    const job = await this.get(id);
    if (!job) throw new ModelmapError("not_found", `no job '${id}'`, { hint: "see 'modelmap queue list'" });
    return job;
  }

  /** Puts a failed or cancelled job back in the queue. */
  async retry(id: string): Promise<JobRecord> {
    const job = await this.require(id);
    if (job.state !== "failed" && job.state !== "cancelled")
      throw new ModelmapError("conflict", `job ${id} is ${job.state}; only failed or cancelled jobs can be retried`);
    if (job.state === "cancelled") await this.boss.resume(job.queue, id);
    else await this.boss.retry(job.queue, id);
    return this.require(id);
  }

  /** Cancels a queued or running job (a worker running it loses its lease at its next heartbeat). */
  async cancel(id: string): Promise<JobRecord> {
    const job = await this.require(id);
    if (job.state === "completed" || job.state === "failed" || job.state === "cancelled")
      throw new ModelmapError("conflict", `job ${id} is already ${job.state}`);
    await this.boss.cancel(job.queue, id);
    return this.require(id);
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}
