// Words for generated CI history: people, branch names, commit messages. Some entries are hostile on
// purpose (HTML, script tags, very long text, non-ASCII) because real commit messages and branch names
// are free text that every screen must show as text.
import type { Random } from './random.js';

export const PEOPLE: readonly { username: string; name: string; email: string }[] = [
  { username: 'anna-kovacs', name: 'Anna Kovács', email: 'anna.kovacs@example.com' },
  { username: 'bence.nagy', name: 'Bence Nagy', email: 'bence@example.com' },
  { username: 'chloe-martin', name: 'Chloé Martin', email: 'chloe.martin@example.com' },
  { username: 'dev-ravi', name: 'Ravi Shankar', email: 'ravi@example.com' },
  { username: 'emma_w', name: 'Emma Watts', email: 'emma.watts@example.com' },
  { username: 'felix-b', name: 'Felix Braun', email: 'felix.braun@example.com' },
  { username: 'grace-ho', name: 'Grace Ho', email: 'grace.ho@example.com' },
  { username: 'hiro.t', name: 'Hiroshi Tanaka', email: 'hiro@example.com' },
  { username: 'ines-garcia', name: 'Inés García', email: 'ines@example.com' },
  { username: 'jonas.k', name: 'Jonas Keller', email: 'jonas.keller@example.com' },
];

/** Hostile free text: markup that must never render, and text long enough to break layouts. */
export const HOSTILE_TEXT: readonly string[] = [
  '<script>alert("xss")</script> Fix login',
  'Render <b>bold</b> & <i>italic</i> in release notes',
  '"><img src=x onerror=alert(1)> sanitize avatar URL',
  `Refactor networking layer: ${'split request builder, retry policy and caching into separate modules; '.repeat(12)}done`,
  'Ünïcödé 💥 commit — emoji & accents: naïve façade 测试',
  'Quote \'single\' and "double" and back`tick` and \\backslash\\',
];

const VERBS = [
  'Fix',
  'Add',
  'Update',
  'Refactor',
  'Remove',
  'Improve',
  'Bump',
  'Revert',
  'Speed up',
  'Clean up',
];
const THINGS = [
  'login screen',
  'push notifications',
  'checkout flow',
  'dark mode colors',
  'crash on startup',
  'analytics events',
  'image cache',
  'onboarding copy',
  'deep links',
  'payment sheet',
  'flaky snapshot tests',
  'Gradle build cache',
  'CocoaPods lockfile',
  'localization strings',
  'feature flag defaults',
];
const TOPICS = [
  'login',
  'checkout',
  'payments',
  'onboarding',
  'search',
  'profile',
  'offline-mode',
  'ci',
  'deps',
  'a11y',
];
const BRANCH_KINDS = ['feature', 'fix', 'chore', 'release', 'experiment'];

export function commitMessage(rng: Random): string {
  if (rng.chance(0.04)) return rng.pick(HOSTILE_TEXT);
  const head = `${rng.pick(VERBS)} ${rng.pick(THINGS)}`;
  if (rng.chance(0.3)) return `${head}\n\n${rng.pick(VERBS)} ${rng.pick(THINGS)} as well.`;
  return head;
}

/** A branch name; a few are hostile (markup, long, non-ASCII), as free-text branch names can be. */
export function branchName(rng: Random): string {
  if (rng.chance(0.03)) {
    return rng.pick([
      'feature/<script>alert(1)</script>',
      `feature/${'very-long-branch-name-'.repeat(8)}end`,
      'fix/ünïcode-ß-branch',
      'feature/a&b<c>"d"',
    ]);
  }
  return `${rng.pick(BRANCH_KINDS)}/${rng.pick(TOPICS)}-${rng.int(10, 9999)}`;
}

/** A reason a person gives when stopping a run by hand. */
export function manualAbortReason(rng: Random): string {
  if (rng.chance(0.08)) return rng.pick(HOSTILE_TEXT);
  return rng.pick([
    'wrong branch',
    'pushed a fix, no need for this one',
    'testing something locally first',
    'started by mistake',
    'stuck on a step',
    'need the machine for a hotfix build',
  ]);
}

export function sha(rng: Random): string {
  let out = '';
  while (out.length < 40)
    out += Math.floor(rng.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out;
}
