// Sandbox faults against a real buildkite sync into SQLite (cases in cases.ts).
import { faultTests } from './cases.js';

faultTests('buildkite');
