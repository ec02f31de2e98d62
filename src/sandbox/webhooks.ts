// The sandbox as a webhook sender: between two looks at its clock it sends, for every build that moved, the
// deliveries Buildkite and Bitrise would send (ci-apis.md §4), with their real headers and bodies, to the
// URLs it is given; and it injects delivery faults by seed and rate. Buildkite: `build.*` events with the
// REST build object without jobs and the pipeline beside it, and `job.*` events with the job; the body shows
// the build as it is when sent (a fast transition shows a later state than its event, as Buildkite's do).
// Bitrise: `build/triggered` and `build/finished` with the documented body, and the custom secret header.
import { createHmac } from 'node:crypto';
import type { Sandbox } from './index.js';
import { Random } from './random.js';

export const DELIVERY_FAULTS = [
  'lost',
  'duplicated',
  'delayed',
  'reordered',
  'bad_signature',
  'stale',
  'replayed',
] as const;
export type DeliveryFault = (typeof DELIVERY_FAULTS)[number];

export interface WebhookTargets {
  /** Buildkite: the URL, the webhook token, and whether it is sent as a signature (default) or in clear. */
  buildkite?: { url: string; secret: string; mode?: 'signature' | 'token'; org?: string };
  bitrise?: { url: string; secret: string };
}

export interface SenderOptions {
  seed?: number;
  /** Share of deliveries that get one fault (0..1). */
  faultRate?: number;
  faults?: readonly DeliveryFault[];
  /** Clock of the signature timestamps: the dispatch time, real by default. */
  now?: () => number;
}

/** One delivery as sent, with what the sandbox did to it and the status the receiver answered. */
export interface SentDelivery {
  provider: 'buildkite' | 'bitrise';
  event: string;
  /** The build id (Buildkite) or build slug (Bitrise) it is about. */
  subject: string;
  fault: DeliveryFault | null;
  statuses: number[];
  /** When it was first posted (performance.now(), milliseconds); null when it was lost. */
  postedAt: number | null;
}

interface Outgoing {
  provider: 'buildkite' | 'bitrise';
  event: string;
  subject: string;
  body: string;
  fault: DeliveryFault | null;
}

type Json = Record<string, unknown>;

const BITRISE_SECRET_HEADER = 'X-Buildlens-Webhook-Secret';
const STALE_S = 10 * 60;

/** Which build event a state change announces; a build seen for the first time also announces scheduled. */
function buildEvents(before: Json | undefined, now: Json): string[] {
  const state = String(now.state);
  const blocked = now.blocked === true;
  if (before && before.state === state && before.blocked === blocked) return [];
  const events = before ? [] : ['build.scheduled'];
  if (blocked || now.finished_at) events.push(state === 'skipped' ? 'build.skipped' : 'build.finished');
  else if (state === 'failing') events.push('build.failing');
  else if (now.started_at) events.push('build.running');
  return [...new Set(events)];
}

function jobEvent(before: Json | undefined, now: Json): string | null {
  if (before && before.state === now.state && before.retried === now.retried) return null;
  if (now.finished_at) return 'job.finished';
  if (now.started_at) return 'job.started';
  return before ? null : 'job.scheduled';
}

export class WebhookSender {
  private readonly random: Random;
  private buildkiteSeen = new Map<string, Json>();
  private jobsSeen = new Map<string, Json>();
  private bitriseSeen = new Map<string, number>();
  private pipelines: Map<string, Json> | null = null;
  /** Sandbox time of the last look. */
  private lookedAt: number | null = null;
  readonly sent: SentDelivery[] = [];

  constructor(
    private readonly sandbox: Sandbox,
    private readonly targets: WebhookTargets,
    private readonly options: SenderOptions = {},
  ) {
    this.random = new Random('webhooks', options.seed ?? 1);
  }

  /**
   * Remembers every build as it is now, without sending (the first look, or an outage): later deliveries
   * are about what moves after. Returns the builds whose deliveries were so swallowed.
   */
  snapshot(): string[] {
    return [...new Set(this.collect().map((o) => o.subject))];
  }

  /** Sends the deliveries for everything that moved since the last look, faults included. */
  async flush(): Promise<SentDelivery[]> {
    await this.loadPipelines();
    const outgoing = this.collect().map((o) => ({ ...o, fault: this.pickFault() }));
    const order = this.schedule(outgoing);
    const sent: SentDelivery[] = [];
    for (const item of order) sent.push(await this.deliver(item));
    this.sent.push(...sent);
    return sent;
  }

  private pickFault(): DeliveryFault | null {
    const kinds = this.options.faults ?? DELIVERY_FAULTS;
    if (kinds.length === 0 || this.random.next() >= (this.options.faultRate ?? 0)) return null;
    return kinds[Math.floor(this.random.next() * kinds.length)] ?? null;
  }

  /** Delayed deliveries go last; a reordered one swaps with the one after it. */
  private schedule(items: Outgoing[]): Outgoing[] {
    const order = items.filter((i) => i.fault !== 'delayed');
    for (let i = 0; i + 1 < order.length; i++) {
      if (order[i]?.fault === 'reordered') {
        [order[i], order[i + 1]] = [order[i + 1] as Outgoing, order[i] as Outgoing];
        i++;
      }
    }
    return [...order, ...items.filter((i) => i.fault === 'delayed')];
  }

  private async loadPipelines(): Promise<void> {
    if (this.pipelines || !this.targets.buildkite) return;
    this.pipelines = new Map();
    const { url, token } = this.sandbox.buildkite;
    const org = this.buildkiteOrg();
    for (let page = 1; ; page++) {
      const res = await fetch(`${url}/organizations/${org}/pipelines?per_page=100&page=${page}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const items = (await res.json()) as Json[];
      for (const p of items) this.pipelines.set(String(p.slug), p);
      if (!res.headers.get('link')?.includes('rel="next"')) break;
    }
  }

  /** The organization whose builds are sent: the target's, else the sandbox's first. */
  private buildkiteOrg(): string {
    return this.targets.buildkite?.org ?? this.sandbox.buildkite.org;
  }

  private collect(): Outgoing[] {
    const out: Outgoing[] = [];
    const lookedAt = this.sandbox.clock.now();
    if (this.targets.buildkite) out.push(...this.collectBuildkite());
    if (this.targets.bitrise) out.push(...this.collectBitrise());
    this.lookedAt = lookedAt;
    return out;
  }

  private collectBuildkite(): Outgoing[] {
    const { url } = this.sandbox.buildkite;
    const org = this.buildkiteOrg();
    const out: Outgoing[] = [];
    // Builds created long before the last look have settled; a day back covers any still moving.
    const createdFrom = this.lookedAt === null ? undefined : this.lookedAt - 86_400_000;
    const builds = this.sandbox.buildkite.world.builds(url, { org, createdFrom }).reverse();
    for (const build of builds) {
      const id = String(build.id);
      const { jobs, ...withoutJobs } = build as Json & { jobs?: Json[] };
      const slug = /\/pipelines\/([^/]+)\/builds\//.exec(String(build.url))?.[1] ?? '';
      const pipeline = this.pipelines?.get(slug) ?? null;
      const body = (event: string, job?: Json) =>
        JSON.stringify({
          event,
          build: withoutJobs,
          pipeline,
          ...(job ? { job } : {}),
          sender: { id: 'sandbox', name: 'Sandbox' },
        });
      const before = this.buildkiteSeen.get(id);
      const events = buildEvents(before, build);
      // Job events first: a build finishes after its jobs.
      for (const job of jobs ?? []) {
        const key = String(job.id);
        const event = jobEvent(this.jobsSeen.get(key), job);
        this.jobsSeen.set(key, job);
        if (event)
          out.push({ provider: 'buildkite', event, subject: id, body: body(event, job), fault: null });
      }
      for (const event of events)
        out.push({ provider: 'buildkite', event, subject: id, body: body(event), fault: null });
      this.buildkiteSeen.set(id, build);
    }
    return out;
  }

  private collectBitrise(): Outgoing[] {
    const out: Outgoing[] = [];
    const world = this.sandbox.bitrise.world;
    for (const app of world.apps()) {
      for (const build of [...world.builds(app.slug)].reverse() as unknown as Json[]) {
        const slug = String(build.slug);
        const status = Number(build.status);
        const before = this.bitriseSeen.get(slug);
        this.bitriseSeen.set(slug, status);
        const events: string[] = [];
        if (before === undefined) events.push('build/triggered');
        if (status !== 0 && before !== status) events.push('build/finished');
        for (const event of events) {
          const git: Json = { provider: 'github', src_branch: build.branch ?? null };
          if (build.pull_request_id) {
            git.dst_branch = build.pull_request_target_branch;
            git.pull_request_id = build.pull_request_id;
          }
          if (build.tag) git.tag = build.tag;
          const body = JSON.stringify({
            build_slug: slug,
            build_number: build.build_number,
            app_slug: app.slug,
            build_status: event === 'build/triggered' ? 0 : status,
            build_triggered_workflow: build.triggered_workflow,
            git,
          });
          out.push({ provider: 'bitrise', event, subject: slug, body, fault: null });
        }
      }
    }
    return out;
  }

  /** `laterS`: a redelivery is signed anew, some time after the first copy. */
  private headers(item: Outgoing, variant: 'good' | 'bad' | 'stale', laterS = 0): Record<string, string> {
    const base: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'buildlens-sandbox',
    };
    if (item.provider === 'bitrise') {
      const secret = this.targets.bitrise?.secret ?? '';
      return {
        ...base,
        'Bitrise-Event-Type': item.event,
        [BITRISE_SECRET_HEADER]: variant === 'bad' ? `${secret}x` : secret,
      };
    }
    const target = this.targets.buildkite;
    const secret = variant === 'bad' ? 'not-the-webhook-secret-at-all' : (target?.secret ?? '');
    base['X-Buildkite-Event'] = item.event;
    if (target?.mode === 'token')
      return { ...base, 'X-Buildkite-Token': variant === 'stale' ? secret : secret };
    const nowS =
      Math.floor((this.options.now ?? Date.now)() / 1000) - (variant === 'stale' ? STALE_S : 0) + laterS;
    const signature = createHmac('sha256', secret).update(`${nowS}.${item.body}`).digest('hex');
    return { ...base, 'X-Buildkite-Signature': `timestamp=${nowS},signature=${signature}` };
  }

  private async post(item: Outgoing, headers: Record<string, string>): Promise<number> {
    const url = item.provider === 'buildkite' ? this.targets.buildkite?.url : this.targets.bitrise?.url;
    const res = await fetch(url ?? '', { method: 'POST', headers, body: item.body });
    await res.arrayBuffer();
    return res.status;
  }

  private async deliver(item: Outgoing): Promise<SentDelivery> {
    const record: SentDelivery = {
      provider: item.provider,
      event: item.event,
      subject: item.subject,
      fault: item.fault,
      statuses: [],
      postedAt: null,
    };
    if (item.fault === 'lost') return record;
    const variant = item.fault === 'bad_signature' ? 'bad' : item.fault === 'stale' ? 'stale' : 'good';
    const headers = this.headers(item, variant);
    record.postedAt = performance.now();
    record.statuses.push(await this.post(item, headers));
    // A second copy: a redelivery signed anew, or the very same request sent again by someone else.
    if (item.fault === 'duplicated')
      record.statuses.push(await this.post(item, this.headers(item, 'good', 1)));
    if (item.fault === 'replayed') record.statuses.push(await this.post(item, headers));
    return record;
  }
}
