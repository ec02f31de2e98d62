// Buildkite's REST rate limits (ci-apis.md §3.4): a request budget per organization (scope `rest`) and,
// optionally, per user (`rest_user`), each over a fixed window that opens with its first request.
// Rejected requests count too (the 429 body reports `current` above `limit`).

export interface RateLimitOptions {
  /** Requests per window per organization; Buildkite's default is 200. */
  orgLimit: number;
  /** Requests per window per user (documented from April 2026); null leaves the user headers out. */
  userLimit: number | null;
  windowMs: number;
}

interface Window {
  openedAt: number;
  count: number;
}

export interface RateLimitCheck {
  headers: Record<string, string>;
  /** The limit that was exceeded, if any. */
  exceeded: { scope: 'rest' | 'rest_user'; limit: number; current: number; reset: number } | null;
}

const WARNING = 'You have exceeded your API rate limit.';

export function createRateLimiter(options: RateLimitOptions, now: () => number) {
  const windows = new Map<string, Window>();

  function hit(key: string, at: number): Window {
    let window = windows.get(key);
    if (!window || at >= window.openedAt + options.windowMs) {
      window = { openedAt: at, count: 0 };
      windows.set(key, window);
    }
    window.count++;
    return window;
  }

  const resetS = (window: Window, at: number) =>
    Math.max(0, Math.ceil((window.openedAt + options.windowMs - at) / 1000));

  return {
    /** Counts one request by `user` against `org` and says whether it may proceed. */
    check(org: string, user: string): RateLimitCheck {
      const at = now();
      const orgWindow = hit(`org:${org}`, at);
      const headers: Record<string, string> = {
        'RateLimit-Scope': 'rest',
        'RateLimit-Limit': String(options.orgLimit),
        'RateLimit-Remaining': String(Math.max(0, options.orgLimit - orgWindow.count)),
        'RateLimit-Reset': String(resetS(orgWindow, at)),
      };
      if (orgWindow.count > options.orgLimit) headers['RateLimit-Warning'] = WARNING;
      let exceeded: RateLimitCheck['exceeded'] =
        orgWindow.count > options.orgLimit
          ? { scope: 'rest', limit: options.orgLimit, current: orgWindow.count, reset: resetS(orgWindow, at) }
          : null;
      if (options.userLimit !== null) {
        const userWindow = hit(`user:${user}`, at);
        headers['RateLimit-User-Scope'] = 'rest_user';
        headers['RateLimit-User-Limit'] = String(options.userLimit);
        headers['RateLimit-User-Remaining'] = String(Math.max(0, options.userLimit - userWindow.count));
        headers['RateLimit-User-Reset'] = String(resetS(userWindow, at));
        if (userWindow.count > options.userLimit) {
          headers['RateLimit-User-Warning'] = WARNING;
          exceeded ??= {
            scope: 'rest_user',
            limit: options.userLimit,
            current: userWindow.count,
            reset: resetS(userWindow, at),
          };
        }
      }
      return { headers, exceeded };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
