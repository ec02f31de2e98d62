// Step lists a connector reads apart from its runs (Bitrise log summaries): fetched once per finished
// build, never again (a finished build's steps do not change). Whether a list was fetched is whether its
// raw payload is stored, so an interrupted sync fetches only what it had not committed, and a list the
// provider does not have (stored as null) is not asked for again.
import { type Connector, STEP_LIST_KIND, type StepSource } from '../connectors/contract.js';
import { type Job, type RawPayload, type Run, type Step, UNFINISHED_STATUSES } from '../domain/model.js';
import type { Store } from '../store/store.js';

/** Step lists read at the same time: a batch's builds, without hammering the provider. */
const CONCURRENCY = 4;
/** Keys per look-up of stored lists. */
const KEYS_PER_QUERY = 500;

export class StepFetcher {
  constructor(
    private readonly store: Store,
    private readonly connectionId: number,
    private readonly connector: Connector,
    private readonly enabled: boolean,
  ) {}

  /** The steps and raw payloads of the lists the batch's finished runs have and the store lacks. */
  async fetch(runs: readonly Run[], jobs: Job[]): Promise<{ steps: Step[]; raw: RawPayload[] }> {
    const { stepSources, fetchSteps } = this.connector;
    if (!this.enabled || !stepSources || !fetchSteps) return { steps: [], raw: [] };
    const sources = runs
      .filter((run) => !UNFINISHED_STATUSES.includes(run.status))
      .flatMap((run) => stepSources.call(this.connector, run, jobs));
    const stored = await this.storedKeys(sources.map((s) => s.key));
    // A batch may name a build twice (a run listed again); its list is read once.
    const missing = [...new Map(sources.filter((s) => !stored.has(s.key)).map((s) => [s.key, s])).values()];
    const steps: Step[] = [];
    const raw: RawPayload[] = [];
    const take = async (source: StepSource) => {
      const list = await fetchSteps.call(this.connector, source);
      steps.push(...list.steps);
      raw.push({ kind: STEP_LIST_KIND, key: source.key, payload: list.payload });
    };
    for (let i = 0; i < missing.length; i += CONCURRENCY) {
      await Promise.all(missing.slice(i, i + CONCURRENCY).map(take));
    }
    return { steps, raw };
  }

  private async storedKeys(keys: string[]): Promise<Set<string>> {
    const stored = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const rows = await this.store.db
        .selectFrom('raw_payloads')
        .select('key')
        .where('connection_id', '=', this.connectionId)
        .where('kind', '=', STEP_LIST_KIND)
        .where('key', 'in', keys.slice(i, i + KEYS_PER_QUERY))
        .execute();
      for (const row of rows) stored.add(row.key);
    }
    return stored;
  }
}
