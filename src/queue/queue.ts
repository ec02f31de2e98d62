// The job queue of the team server (docs/architecture.md "Several machines"): pg-boss over the same
// PostgreSQL database, in a schema of its own beside the store's. It carries two kinds of job and nothing
// else: a connection's sync, and an inbox id (the inbox table stays the record of a delivery; the job only
// says "process this one"). Jobs of a worker killed mid-way are retried by another worker: a sync once its
// free sync lock shows it abandoned (abandoned-syncs.ts), anything else when it expires.
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import PgBoss from 'pg-boss';
import { StoreError } from '../store/errors.js';
import type { Schema } from '../store/schema.js';
import type { Store } from '../store/store.js';

export const SYNC_QUEUE = 'buildlens-sync';
export const DELIVERY_QUEUE = 'buildlens-delivery';

export interface SyncJob {
  connection: string;
  trigger: 'api' | 'schedule';
}

export interface DeliveryJob {
  inbox: number;
}

/**
 * How long a job may stay active before it counts as abandoned (its worker died) and goes to another.
 * A sync that runs longer is not harmed: the retry meets its sync lock and is skipped. A sync's worker
 * that died is found much sooner by its free sync lock (abandoned-syncs.ts); this is the last resort. A
 * delivery takes a few requests, a Bitrise one an incremental sync of one app.
 */
const SYNC_EXPIRE_S = 30 * 60;
/** A failed sync is tried again this much later (so is an abandoned one, which is its worker's loss). */
const SYNC_RETRY_DELAY_S = 15;
const DELIVERY_EXPIRE_S = 15;
/** Deliveries retry for as long as a sync of their connection may hold its lock; the inbox counts real failures. */
const DELIVERY_RETRIES = 60;
/** How often expired jobs are looked for (one process does it for all, each turn). */
const MAINTENANCE_S = 5;

/** One attempt of a sync job under way (or abandoned by a worker that died). */
export interface ActiveSync {
  id: string;
  connection: string;
  /** When this attempt started, as the database wrote it: it tells the attempts of one job apart. */
  startedOn: string;
}

export interface JobQueue {
  boss: PgBoss;
  /** Queues a sync of the connection; its job id. */
  sendSync(job: SyncJob, db?: Kysely<Schema>): Promise<string | null>;
  /** Queues inbox ids; an id already queued and not yet done is not queued twice. */
  sendDeliveries(ids: readonly number[]): Promise<void>;
  /** The job's state and output, or null once it is gone. */
  job(queue: string, id: string): Promise<{ state: string; output: unknown } | null>;
  /** Sync jobs active for more than `seconds` (pg-boss 10 has no call that lists them: its table is read). */
  activeSyncs(seconds: number): Promise<ActiveSync[]>;
  /**
   * Fails the attempt through pg-boss, which retries the job after its retry delay, if it is still active
   * and `abandoned()` still says so while this holds the job's row: workers judging it at once fail it
   * once, and a job retried meanwhile is a new attempt, left alone. Whether it was failed.
   */
  failAbandoned(job: ActiveSync, reason: string, abandoned: () => Promise<boolean>): Promise<boolean>;
  stop(): Promise<void>;
}

/** The queue's schema: beside the store's (`public` keeps it in `buildlens_queue`). */
async function queueSchema(store: Store): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  const schema = rows[0]?.schema ?? 'public';
  return schema === 'public' ? 'buildlens_queue' : `${schema}_queue`;
}

/** pg-boss running its statements on a Kysely connection (inside its transaction, when it is one). */
const onKysely = (db: Kysely<Schema>) => ({
  executeSql: async (text: string, values: unknown[]) =>
    db.executeQuery(CompiledQuery.raw(text, values ?? [])) as Promise<{ rows: unknown[] }>,
});

/**
 * The delivery's job id: a UUID made from the inbox id, so queueing the same delivery again (the server
 * and the workers' sweep both may) is a no-op while its job exists.
 */
export function deliveryJobId(inboxId: number): string {
  const hex = inboxId.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

const DEADLOCK = '40P01';

/**
 * The two queues, created by whichever process starts first. Servers and workers starting together may
 * create them at the same moment, which PostgreSQL can refuse as a deadlock: then it is tried again.
 */
async function createQueues(boss: PgBoss): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(SYNC_QUEUE, {
        name: SYNC_QUEUE,
        retryLimit: 2,
        retryDelay: SYNC_RETRY_DELAY_S,
        expireInSeconds: SYNC_EXPIRE_S,
      });
      await boss.createQueue(DELIVERY_QUEUE, {
        name: DELIVERY_QUEUE,
        retryLimit: DELIVERY_RETRIES,
        retryDelay: 5,
        expireInSeconds: DELIVERY_EXPIRE_S,
      });
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK || attempt >= 5) throw error;
      await sleep(100 * attempt + Math.floor(Math.random() * 200));
    }
  }
}

export async function openJobQueue(
  url: string,
  store: Store,
  options: { log: (line: string) => void; maintain: boolean },
): Promise<JobQueue> {
  if (store.dialect !== 'postgres') throw new StoreError('the job queue needs a PostgreSQL store');
  const schema = await queueSchema(store);
  const boss = new PgBoss({
    connectionString: url,
    schema,
    application_name: 'buildlens queue',
    max: 3,
    // Workers expire abandoned jobs and archive old ones; servers only send.
    supervise: options.maintain,
    maintenanceIntervalSeconds: MAINTENANCE_S,
    schedule: false,
    archiveCompletedAfterSeconds: 3600,
  });
  boss.on('error', (error) => options.log(`job queue: ${error.message}`));
  const jobs = sql.table(`${schema}.job`);
  await boss.start();
  await createQueues(boss);
  return {
    boss,
    sendSync: (job, db) =>
      boss.send(SYNC_QUEUE, job, {
        retryLimit: 2,
        retryDelay: SYNC_RETRY_DELAY_S,
        expireInSeconds: SYNC_EXPIRE_S,
        ...(db ? { db: onKysely(db) } : {}),
      }),
    sendDeliveries: async (ids) => {
      if (ids.length === 0) return;
      await boss.insert(
        ids.map((inbox) => ({
          id: deliveryJobId(inbox),
          name: DELIVERY_QUEUE,
          data: { inbox } satisfies DeliveryJob,
          retryLimit: DELIVERY_RETRIES,
          retryDelay: 5,
          expireInSeconds: DELIVERY_EXPIRE_S,
        })),
      );
    },
    job: async (queue, id) => {
      const found = await boss.getJobById(queue, id, { includeArchive: true });
      return found ? { state: found.state, output: found.output } : null;
    },
    activeSyncs: async (seconds) => {
      const { rows } = await sql<ActiveSync>`
        select id::text as id, data->>'connection' as connection, started_on::text as "startedOn"
        from ${jobs}
        where name = ${SYNC_QUEUE} and state = 'active' and started_on < now() - make_interval(secs => ${seconds})
        order by started_on`.execute(store.db);
      return rows;
    },
    failAbandoned: (job, reason, abandoned) =>
      store.db.transaction().execute(async (trx) => {
        const { rows } = await sql`
          select id from ${jobs}
          where name = ${SYNC_QUEUE} and id = ${job.id}::uuid and state = 'active'
            and started_on::text = ${job.startedOn}
          for update`.execute(trx);
        if (rows.length === 0 || !(await abandoned())) return false;
        await boss.fail(SYNC_QUEUE, job.id, { message: reason }, { db: onKysely(trx) });
        return true;
      }),
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}
