// Sync progress on stderr: on a terminal one bar per connection, redrawn in place; elsewhere one plain
// line per finished project, so logs stay readable.
import { lineText } from '../domain/text.js';
import type { Output } from './context.js';

interface Line {
  connection: string;
  unit: string;
  done: number;
  total: number | null;
  runs: number;
  /** Set when the connection finished: `done` or the one-line failure. */
  outcome: string | null;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export class SyncProgress {
  private readonly lines: Line[] = [];
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly stream: Output,
    private readonly mode: 'tty' | 'plain' | 'off',
  ) {}

  private line(connection: string): Line {
    let line = this.lines.find((l) => l.connection === connection);
    if (!line) {
      line = { connection, unit: 'projects', done: 0, total: null, runs: 0, outcome: null };
      this.lines.push(line);
    }
    return line;
  }

  begin(connection: string, unit: string): void {
    this.line(connection).unit = unit;
    this.draw(true);
  }

  /**
   * Counts so far for one connection; in plain mode each finished project prints a line with its own runs
   * (a Buildkite organization's builds are listed at once, so a running total would repeat one number).
   */
  update(
    connection: string,
    counts: { projectsDone: number; projectsTotal: number; runsDone: number },
    done?: { project: string; runs: number },
  ): void {
    const line = this.line(connection);
    const finishedProject = counts.projectsDone > line.done;
    line.done = counts.projectsDone;
    line.total = counts.projectsTotal;
    line.runs = counts.runsDone;
    if (finishedProject && this.mode === 'plain') {
      const own = done ? ` (${lineText(done.project)}: ${done.runs} run${done.runs === 1 ? '' : 's'})` : '';
      this.stream.write(`${line.connection}: ${line.done}/${line.total} ${line.unit} done${own}\n`);
    }
    this.draw(finishedProject);
  }

  end(connection: string, outcome: string): void {
    const line = this.line(connection);
    line.outcome = lineText(outcome);
    if (this.mode === 'plain') this.stream.write(`${line.connection}: ${line.outcome}\n`);
    this.draw(true);
  }

  private text(line: Line): string {
    const fraction = line.total ? Math.min(1, line.done / line.total) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const counts = `${line.done}/${line.total ?? '?'} ${line.unit}  ${line.runs} runs`;
    return `${line.connection.padEnd(16)} ${bar} ${counts}${line.outcome ? `  ${line.outcome}` : ''}`.slice(
      0,
      79,
    );
  }

  /** Redraws every bar in place; frequent updates are coalesced unless `force`. */
  private draw(force: boolean): void {
    if (this.mode !== 'tty') return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    this.stream.write(up + this.lines.map((l) => `\r\x1b[2K${this.text(l)}\n`).join(''));
    this.drawn = this.lines.length;
  }
}
