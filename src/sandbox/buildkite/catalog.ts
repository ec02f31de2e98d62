// What the simulated Buildkite organizations run: pipeline templates with their step graphs (parallel
// jobs, wait and block steps, soft-fail and branch-filtered steps). People and free text come from
// ../vocabulary.ts, shared with the other providers.

export interface CommandStep {
  type: 'command';
  key: string;
  label: string;
  command: string;
  /** Agent queue; `default` steps name none (Buildkite then targets the default queue). */
  queue: string;
  /** Agent tags targeted besides the queue (`key=value`), as in a step's `agents:` block. */
  tags?: readonly string[];
  /** Typical run time, seconds. */
  durationS: readonly [number, number];
  parallelism?: number;
  softFail?: boolean;
  /** Step only runs on the default branch (a Buildkite `branches` filter). */
  defaultBranchOnly?: boolean;
  artifactPaths?: string;
}
export interface WaitStep {
  type: 'wait';
}
export interface BlockStep {
  type: 'block';
  key: string;
  label: string;
  defaultBranchOnly?: boolean;
}
/** Starts a build of another pipeline; the job runs on no agent and, unless async, waits for that build. */
export interface TriggerStep {
  type: 'trigger';
  key: string;
  label: string;
  /** Slug of the pipeline it starts. */
  trigger: string;
  async?: boolean;
  /** Typical wait for the triggered build, seconds (a second or two when async). */
  durationS: readonly [number, number];
  defaultBranchOnly?: boolean;
}
export type Step = CommandStep | WaitStep | BlockStep | TriggerStep;

export interface PipelineTemplate {
  slug: string;
  name: string;
  description: string;
  repo: string;
  steps: readonly Step[];
}

const wait: WaitStep = { type: 'wait' };

export const PIPELINE_TEMPLATES: readonly PipelineTemplate[] = [
  {
    slug: 'ios-app',
    name: 'iOS App',
    description: 'Builds, tests and ships the iOS app',
    repo: 'ios-app',
    steps: [
      {
        type: 'command',
        key: 'lint',
        label: ':swift: Lint',
        command: 'swiftlint',
        queue: 'macos',
        durationS: [40, 110],
      },
      {
        type: 'command',
        key: 'unit',
        label: ':xcode: Unit tests',
        command: 'fastlane test',
        queue: 'macos',
        durationS: [240, 720],
        parallelism: 3,
        artifactPaths: 'build/reports/**/*',
      },
      wait,
      {
        type: 'command',
        key: 'ui',
        label: ':iphone: UI tests',
        command: 'fastlane ui_test',
        queue: 'macos',
        durationS: [480, 1200],
        softFail: true,
      },
      { type: 'block', key: 'release', label: ':rocket: Release to TestFlight?', defaultBranchOnly: true },
      {
        type: 'command',
        key: 'testflight',
        label: ':testflight: Upload',
        command: 'fastlane beta',
        queue: 'macos',
        durationS: [300, 600],
        defaultBranchOnly: true,
      },
    ],
  },
  {
    slug: 'web',
    name: 'Web Frontend',
    description: 'Next.js storefront',
    repo: 'web',
    steps: [
      {
        type: 'command',
        key: 'lint',
        label: ':eslint: Lint',
        command: 'npm run lint',
        queue: 'default',
        durationS: [30, 90],
      },
      {
        type: 'command',
        key: 'jest',
        label: ':jest: Jest',
        command: 'npm test -- --shard=$$BUILDKITE_PARALLEL_JOB',
        queue: 'default',
        durationS: [120, 420],
        parallelism: 4,
      },
      {
        type: 'command',
        key: 'types',
        label: ':typescript: Typecheck',
        command: 'npx tsc',
        queue: 'default',
        durationS: [45, 120],
      },
      wait,
      {
        type: 'command',
        key: 'e2e',
        label: ':playwright: E2E',
        command: 'npx playwright test',
        queue: 'default',
        durationS: [360, 900],
        softFail: true,
      },
      wait,
      {
        type: 'command',
        key: 'image',
        label: ':docker: Build image',
        command: 'docker build .',
        queue: 'builder',
        tags: ['docker=true'],
        durationS: [150, 400],
      },
    ],
  },
  {
    slug: 'api',
    name: 'API Service',
    description: 'Go API, deployed to Kubernetes',
    repo: 'api',
    steps: [
      {
        type: 'command',
        key: 'test',
        label: ':golang: Test',
        command: 'go test ./...',
        queue: 'default',
        durationS: [180, 540],
      },
      {
        type: 'command',
        key: 'vet',
        label: ':golang: Vet',
        command: 'go vet ./...',
        queue: 'default',
        durationS: [30, 80],
      },
      wait,
      {
        type: 'command',
        key: 'push',
        label: ':docker: Build & push',
        command: 'make image push',
        queue: 'builder',
        tags: ['docker=true'],
        durationS: [120, 300],
      },
      { type: 'block', key: 'deploy-gate', label: 'Deploy to production?', defaultBranchOnly: true },
      {
        type: 'command',
        key: 'deploy',
        label: ':kubernetes: Deploy',
        command: 'make deploy',
        queue: 'deploy',
        durationS: [60, 240],
        defaultBranchOnly: true,
      },
      {
        type: 'trigger',
        key: 'smoke',
        label: ':fire: Smoke tests in production',
        trigger: 'smoke-tests',
        durationS: [90, 300],
        defaultBranchOnly: true,
      },
      {
        type: 'trigger',
        key: 'notify',
        label: 'Announce the release',
        trigger: 'release-notes',
        async: true,
        durationS: [1, 3],
        defaultBranchOnly: true,
      },
    ],
  },
  {
    slug: 'android',
    name: 'Android App',
    description: 'Gradle build of the Android app',
    repo: 'android',
    steps: [
      {
        type: 'command',
        key: 'assemble',
        label: ':android: Assemble',
        command: './gradlew assembleDebug',
        queue: 'default',
        durationS: [300, 660],
      },
      {
        type: 'command',
        key: 'unit',
        label: ':android: Unit tests',
        command: './gradlew test',
        queue: 'default',
        durationS: [240, 600],
        parallelism: 2,
      },
      wait,
      {
        type: 'command',
        key: 'instrumented',
        label: ':android: Instrumented tests',
        command: './gradlew connectedCheck',
        queue: 'emulator',
        tags: ['arch=x86_64', 'kvm=true'],
        durationS: [600, 1500],
        softFail: true,
      },
    ],
  },
  {
    slug: 'infra',
    name: 'Terraform',
    description: 'Infrastructure plans and applies',
    repo: 'infra',
    steps: [
      {
        type: 'command',
        key: 'plan',
        label: ':terraform: Plan',
        command: 'terraform plan',
        queue: 'deploy',
        durationS: [60, 200],
      },
      { type: 'block', key: 'apply-gate', label: 'Apply?', defaultBranchOnly: true },
      {
        type: 'command',
        key: 'apply',
        label: ':terraform: Apply',
        command: 'terraform apply',
        queue: 'deploy',
        durationS: [90, 420],
        defaultBranchOnly: true,
      },
    ],
  },
  {
    slug: 'docs',
    name: 'Docs Site',
    description: 'Static documentation site',
    repo: 'docs',
    steps: [
      {
        type: 'command',
        key: 'build',
        label: ':books: Build',
        command: 'make html',
        queue: 'default',
        durationS: [40, 150],
      },
      {
        type: 'command',
        key: 'links',
        label: ':link: Check links',
        command: 'make linkcheck',
        queue: 'default',
        durationS: [30, 120],
        softFail: true,
      },
    ],
  },
  {
    slug: 'data-pipeline',
    name: 'Data Pipeline',
    description: 'Spark jobs and their integration tests',
    repo: 'data-pipeline',
    steps: [
      {
        type: 'command',
        key: 'unit',
        label: ':python: pytest',
        command: 'pytest',
        queue: 'default',
        durationS: [120, 480],
        parallelism: 2,
      },
      wait,
      {
        type: 'command',
        key: 'integration',
        label: ':spark: Integration',
        command: 'make it',
        queue: 'builder',
        tags: ['docker=true'],
        durationS: [600, 1800],
      },
    ],
  },
  {
    slug: 'mobile-sdk',
    name: 'Mobile SDK',
    description: 'Kotlin Multiplatform SDK',
    repo: 'mobile-sdk',
    steps: [
      {
        type: 'command',
        key: 'jvm',
        label: ':kotlin: JVM tests',
        command: './gradlew jvmTest',
        queue: 'default',
        durationS: [200, 500],
      },
      {
        type: 'command',
        key: 'ios',
        label: ':apple: iOS tests',
        command: './gradlew iosTest',
        queue: 'macos',
        durationS: [300, 800],
      },
      wait,
      {
        type: 'command',
        key: 'publish',
        label: ':package: Publish snapshot',
        command: './gradlew publish',
        queue: 'default',
        durationS: [60, 180],
        defaultBranchOnly: true,
      },
    ],
  },
];

/** Reasons the system gives when it cancels a build by itself (cancel running branch builds). */
export const CANCEL_REASONS_AUTO: readonly string[] = [
  'Canceled automatically: superseded by a newer build on the same branch',
  'Build canceled because a newer build was started (cancel running branch builds)',
];
