// `npm run chaos [-- --minutes 3 --seed 1]`: random fault schedules and SIGKILLs against real syncs, for a
// bounded time, each episode ending with a clean sync compared row by row with the sandbox's truth.
// Prints what it did and what it found; exits 1 when any run, job or status differed or a rule was broken.
import { parseArgs } from 'node:util';
import { PROVIDERS, type Provider } from '../src/domain/model.js';
import { Random } from '../src/sandbox/random.js';
import { integrity, killAfter } from '../test/crash/cli.js';
import { compareWithTruth, type Rig, startRig, syncOnce } from '../test/faults/rig.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '6' },
  },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
const steps = Number(values.steps);
if (!(minutes > 0 && minutes <= 120) || !Number.isSafeInteger(seed) || !(steps >= 1 && steps <= 100)) {
  console.error('chaos: --minutes must be in (0, 120], --seed a whole number, --steps 1 to 100');
  process.exit(2);
}

const figures = {
  episodes: 0,
  syncs: 0,
  syncsFailedCleanly: 0,
  cliSyncs: 0,
  kills: 0,
  faultsInjected: {} as Record<string, number>,
  runsCompared: 0,
  jobsCompared: 0,
  mismatches: 0,
  integrityFailures: 0,
  /** Errors that were not one clean line without a token, or final syncs that failed. */
  brokenRules: 0,
};
const problems: string[] = [];

/** A random fault schedule; `quick` keeps to faults a CLI child (30 s timeout, 5 retries) gets past fast. */
function schedule(random: Random, quick: boolean): string {
  const menu = [
    () =>
      `429:after=${random.int(0, 20)},count=${random.int(1, 3)}${random.pick(['', ',retry-after=0', ',reset=0'])}`,
    () => `${random.pick([500, 502, 503])}:rate=${random.pick([0.02, 0.05, 0.1])},retry-after=0`,
    () => `reset:every=${random.int(5, 15)},count=${random.int(1, 4)}`,
    () => `truncate:rate=0.03`,
    () => `malformed:after=${random.int(0, 30)},count=1`,
    () => `repeat:after=${random.int(0, 30)},count=1`,
    () => `shift:after=${random.int(0, 40)},count=${random.int(1, 3)},minutes=${random.int(5, 90)}`,
    () => `loop:after=${random.int(0, 30)},count=1`,
    () => `401:after=${random.int(5, 200)}`,
    () => `field:after=${random.int(0, 50)},count=1,mode=${random.pick(['type', 'missing'])}`,
    () => `huge:path=/builds,count=${random.int(1, 3)},kb=${random.int(64, 2048)}`,
    ...(quick ? [] : [() => `slow:after=${random.int(0, 30)},count=1,ms=2500`]),
  ];
  const rules = Array.from({ length: random.int(1, 3) }, () => random.pick(menu)());
  return [`seed=${random.int(0, 1_000_000)}`, ...rules].join(';');
}

function checkError(rig: Rig, message: string, where: string): void {
  const leaked = [rig.sandbox.bitrise.token, rig.sandbox.buildkite.token].some((t) => message.includes(t));
  if (message.includes('\n') || leaked) {
    figures.brokenRules++;
    problems.push(`${where}: ${leaked ? 'token in the error' : 'multi-line error'}`);
  }
}

async function episode(random: Random, index: number): Promise<void> {
  const rig = await startRig({ seed: seed * 1000 + index, now: Date.now() });
  figures.episodes++;
  try {
    for (let step = 0; step < steps; step++) {
      rig.sandbox.clock.advance(random.int(0, 45) * 60_000);
      const kill = random.chance(0.35);
      rig.sandbox.faults.set(schedule(random, kill));
      if (kill) {
        figures.cliSyncs++;
        const args = ['--db', rig.dbPath, '-q', 'sync'];
        const result = await killAfter(
          rig.sandbox,
          random.int(1, 300),
          args,
          { XDG_DATA_HOME: `${rig.dir}/data` },
          rig.dir,
        );
        if (result.killed) figures.kills++;
        else if (result.code !== 0) {
          figures.syncsFailedCleanly++;
          checkError(rig, result.stderr.trimEnd(), `episode ${index} step ${step} (CLI)`);
        }
        if (integrity(rig.dbPath) !== 'ok') figures.integrityFailures++;
      } else {
        const provider: Provider = random.pick(PROVIDERS);
        figures.syncs++;
        const outcome = await syncOnce(rig, provider);
        if (!outcome.ok) {
          figures.syncsFailedCleanly++;
          checkError(rig, outcome.error.message, `episode ${index} step ${step} (${provider})`);
        }
      }
    }
    rig.sandbox.faults.clear();
    for (const [name, n] of Object.entries(rig.sandbox.faults.injected())) {
      figures.faultsInjected[name] = (figures.faultsInjected[name] ?? 0) + n;
    }
    for (const provider of PROVIDERS) {
      figures.syncs++;
      const outcome = await syncOnce(rig, provider);
      if (!outcome.ok) {
        figures.brokenRules++;
        problems.push(`episode ${index}: the clean sync of ${provider} failed: ${outcome.error.message}`);
        continue;
      }
      const comparison = await compareWithTruth(rig.store, rig.sandbox, provider, ['message']);
      figures.runsCompared += comparison.runsCompared;
      figures.jobsCompared += comparison.jobsCompared;
      figures.mismatches += comparison.mismatches.length;
      problems.push(...comparison.mismatches.slice(0, 3).map((m) => `episode ${index}: ${m}`));
    }
    if (integrity(rig.dbPath) !== 'ok') figures.integrityFailures++;
  } finally {
    await rig.close();
  }
}

const deadline = Date.now() + minutes * 60_000;
const random = new Random('chaos', seed);
const started = Date.now();
console.log(`chaos: seed ${seed}, ${steps} faulty steps per episode, for ${minutes} min`);
for (let i = 0; Date.now() < deadline; i++) {
  await episode(random, i);
  console.log(
    `episode ${i + 1}: ${figures.syncs} syncs, ${figures.kills} kills, ${figures.mismatches} mismatches so far`,
  );
}
console.log(
  JSON.stringify({ seed, minutes: +((Date.now() - started) / 60_000).toFixed(1), ...figures }, null, 2),
);
for (const problem of problems.slice(0, 20)) console.log(`problem: ${problem}`);
process.exit(figures.mismatches + figures.integrityFailures + figures.brokenRules > 0 ? 1 : 0);
