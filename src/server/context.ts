// What every route group is given.
import type { Store } from '../store/store.js';
import type { SyncRunner } from './sync-runner.js';

export interface ServerContext {
  store: Store;
  sync: SyncRunner;
  version: string;
}
