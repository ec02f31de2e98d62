// Sandbox faults against a real bitrise sync into SQLite (cases in cases.ts).
import { faultTests } from './cases.js';

faultTests('bitrise');
