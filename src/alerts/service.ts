// Alert passes inside the server: asked for after each sync and webhook batch, run one at a time (a request
// during a pass makes one more after it), the alerts file read again each time so edits apply without a
// restart. A broken file or a failed delivery goes to the log, once per distinct line.
import { firstLine } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { alertsForStore } from './rules.js';
import { type AlertPassOptions, runAlerts } from './run.js';

export interface AlertServiceOptions extends AlertPassOptions {
  /** --alerts; else $BUILDLENS_ALERTS or alerts.yaml beside the database. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export class AlertService {
  private pass: Promise<void> | null = null;
  private again = false;
  private lastProblem: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: AlertServiceOptions = {},
  ) {}

  /** Asks for a pass. */
  request(): void {
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.run().finally(() => {
      this.pass = null;
      if (this.again) {
        this.again = false;
        this.request();
      }
    });
  }

  /** Resolves when no pass is under way or asked for. */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private problem(line: string | null): void {
    if (line !== null && line !== this.lastProblem) this.options.log?.(line);
    this.lastProblem = line;
  }

  private async run(): Promise<void> {
    try {
      const config = alertsForStore(this.store, this.options.file, this.options.env ?? process.env);
      if (config === null) return;
      const pass = await runAlerts(this.store, config, this.options);
      for (const t of pass.transitions)
        this.options.log?.(`alert ${t.rule} ${t.event === 'firing' ? 'FIRING' : 'resolved'}: ${t.subject}`);
      for (const d of pass.deliveries.filter((d) => d.state === 'failed'))
        this.options.log?.(`alert delivery failed: ${d.error}`);
      this.problem(
        pass.errors.map((e) => `alert "${e.rule}" could not be judged: ${e.error}`).join('; ') || null,
      );
    } catch (error) {
      this.problem(`alerts not checked: ${firstLine(error)}`);
    }
  }
}
