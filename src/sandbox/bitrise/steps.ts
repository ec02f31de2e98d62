// Build log summaries (`GET /apps/{app}/builds/{build}/log/summary`, shaped like the real April 2026
// capture get_build_steps.json): the steps a build ran, each workflow's in order. The mix is what mobile
// apps run (SSH key, clone, cache restore, dependency install, build, tests, cache save, deploy); step times
// fill the build's own time after its environment setup, so they follow its duration, and a failed build
// failed in its build or test step, the steps after it skipped except those that always run.
import { hexOf, Random, uuidOf } from '../random.js';
import type { BuildPlan } from './generate.js';
import type { BitriseWorld } from './world.js';

interface StepKind {
  id: string;
  title: string;
  version: string;
  /** Set when a newer version of the step exists (the summary then names it and its release notes). */
  latest?: string;
  /** Relative share of the build's work. */
  weight: number;
  /** Runs even after a failure (Bitrise `is_always_run`). */
  always?: boolean;
  /** Where a failing build fails. */
  mayFail?: boolean;
}

const MIX: readonly StepKind[] = [
  { id: 'activate-ssh-key', title: 'Activate SSH key (RSA private key)', version: '4.1.1', weight: 0.3 },
  { id: 'git-clone', title: 'Git clone', version: '8.2.1', latest: '8.4.2', weight: 2 },
  { id: 'restore-cache', title: 'Restore cache', version: '2.4.2', weight: 1.5 },
  { id: 'script', title: 'Install dependencies', version: '1.2.1', weight: 4 },
  { id: 'script', title: 'Build', version: '1.2.1', weight: 10, mayFail: true },
  { id: 'script', title: 'Run tests', version: '1.2.1', weight: 14, mayFail: true },
  { id: 'save-cache', title: 'Save cache', version: '1.3.0', weight: 1.2, always: true },
  { id: 'deploy-to-bitrise-io', title: 'Deploy to Bitrise.io', version: '2.9.3', weight: 0.8, always: true },
];

const STEPLIB = 'https://github.com/bitrise-io/bitrise-steplib.git';

/** Whole-second start, millisecond finish: what the real summary carries. */
const startText = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const finishText = (ms: number) => new Date(ms).toISOString();

/** The log summary of a build as the clock stands: steps that started so far; none before the build did. */
export function logSummaryWire(world: BitriseWorld, build: BuildPlan): unknown {
  const state = world.state(build);
  const rng = new Random('steps', build.slug);
  const setupStart = state.startedMs;
  const workStart = state.preparedMs ?? state.startedMs;
  const end = state.finishedMs ?? world.nowMs();
  const steps: Record<string, unknown>[] = [];
  if (workStart !== null) {
    // A test-only workflow has no deploy; some builds skip the SSH key (public repositories).
    const mix = MIX.filter((k) => !(k.id === 'activate-ssh-key' && rng.chance(0.3)));
    const failing = state.status === 2 ? failingStep(mix, rng) : -1;
    const skipped = mix.map((k, i) => failing >= 0 && i > failing && !k.always);
    // The steps that ran share the build's time after its setup: their durations follow the build's.
    const weights = mix.map((k, i) => (skipped[i] ? 0 : k.weight * rng.logNormal(1, 0.35)));
    const total = weights.reduce((a, b) => a + b, 0);
    // An aborted build stopped part-way through what it would have run.
    const stretch = state.status === 3 || state.status === 4 ? 1.6 : 1;
    const planned = ((state.finishedMs ?? world.timelineEnd(build)) - workStart) * stretch;
    let at = workStart;
    mix.forEach((kind, i) => {
      const ms = Math.round((planned * (weights[i] ?? 0)) / total);
      // An aborted build's summary ends with the last step that finished before the abort.
      // (A millisecond per step of slack: rounded shares may add up past the end.)
      if (at + ms > end + i) {
        if (state.finishedMs === null && at <= end)
          steps.push(stepWire(build, i, kind, at, null, 'in_progress'));
        at = Number.POSITIVE_INFINITY;
        return;
      }
      const status = i === failing ? 'failed' : skipped[i] ? 'skipped' : 'success';
      steps.push(stepWire(build, i, kind, at, Math.min(at + ms, end), status));
      at += ms;
    });
  }
  return {
    agent_info: {
      bitrise_cli_command: `$ bitrise run --config /.bitrise-config/bitrise.yml --output-format json`,
      den_agent_version: '2.63.2',
      host_name: `vm-linux-c4-m16-${uuidOf('host', build.slug)}`,
      machine_resource_class: 'g2.linux.medium',
      machine_type: 'g2.linux.amd-zen4.4c-16g',
      node_name: 'US-CENTRAL-ORD-1A-LC01-0007',
      region: 'US',
      stack_image_version: '1-11-9',
    },
    app_id: build.app.slug,
    build_id: build.slug,
    cli_info: {
      bitrise_cli_version: '2.39.2',
      ci_mode: true,
      log_format_version: '2',
      secret_envs_filtering_mode: true,
      secret_filtering_mode: true,
      pr_mode: build.trigger.pullRequestId > 0,
      debug_mode: false,
      no_output_timeout_mode: false,
    },
    has_build_environment_setup_logs: setupStart !== null,
    execution: {
      build_environment_setup:
        setupStart === null
          ? null
          : {
              started_at: finishText(setupStart),
              finished_at: state.preparedMs === null ? null : finishText(state.preparedMs),
              status: state.preparedMs === null ? 'in_progress' : 'success',
            },
      workflows:
        steps.length === 0
          ? []
          : [{ steps, uuid: uuidOf('workflow', build.slug), workflow_id: build.workflow }],
      with_groups: null,
      step_bundles: null,
    },
    is_log_archived: state.finishedMs !== null,
  };
}

/** Tests fail more often than builds break. */
function failingStep(mix: readonly StepKind[], rng: Random): number {
  const candidates = mix.flatMap((k, i) => (k.mayFail ? [i] : []));
  return rng.chance(0.7) ? (candidates.at(-1) ?? -1) : (candidates[0] ?? -1);
}

function stepWire(
  build: BuildPlan,
  i: number,
  kind: StepKind,
  startMs: number,
  finishMs: number | null,
  status: string,
): Record<string, unknown> {
  const repo = `https://github.com/bitrise-steplib/steps-${kind.id}`;
  return {
    collection: STEPLIB,
    finished_at: finishMs === null ? null : finishText(finishMs),
    ...(kind.latest ? { latest_version: kind.latest, release_notes: `${repo}/releases` } : {}),
    source_code_url: repo,
    started_at: startText(startMs),
    status,
    step_id: kind.id,
    support_url: `${repo}/issues`,
    title: kind.title,
    uuid: uuidOf('step', build.slug, i, hexOf(4, kind.title)),
    version: kind.version,
  };
}
