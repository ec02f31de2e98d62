// What a simulated provider needs from the sandbox and what it gives back to be served.
import type { Clock } from './clock.js';
import type { SandboxRequest, SandboxResponse } from './router.js';

export type SandboxSize = 'small' | 'medium' | 'large';
export const SANDBOX_SIZES: readonly SandboxSize[] = ['small', 'medium', 'large'];

/** Settings every provider sees; its data must be a pure function of these and the clock. */
export interface ProviderContext {
  seed: number;
  size: SandboxSize;
  /** Anchor of the generated timeline (epoch ms): history ends here, the clock moves on from here. */
  anchorMs: number;
  clock: Clock;
}

/** A provider plugs into the server with this: requests under `prefix` reach `handle` without the prefix. */
export interface ProviderMount {
  prefix: string;
  handle(req: Omit<SandboxRequest, 'params'>): Promise<SandboxResponse>;
}
