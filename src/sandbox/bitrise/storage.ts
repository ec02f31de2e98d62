// Pre-signed, expiring URLs for raw logs and artifact downloads, like the S3 links Bitrise hands out:
// no Authorization needed, refused once the sandbox clock passes the expiry.
import { hexOf } from '../random.js';

/** Bitrise documents 10 minutes for artifact links; the raw-log link expires "quickly" too. */
export const URL_LIFETIME_MS = 10 * 60_000;

export class UrlSigner {
  constructor(
    private readonly secret: number,
    private readonly now: () => number,
  ) {}

  /** `path` is inside the provider mount, e.g. `/storage/logs/<slug>`. */
  sign(baseUrl: string, path: string): string {
    const expires = Math.floor((this.now() + URL_LIFETIME_MS) / 1000);
    return `${baseUrl}${path}?expires=${expires}&signature=${this.signature(path, expires)}`;
  }

  /** Null when valid, else why the link is refused. */
  refusal(path: string, query: URLSearchParams): string | null {
    const expires = Number(query.get('expires'));
    if (!Number.isSafeInteger(expires) || query.get('signature') !== this.signature(path, expires)) {
      return 'SignatureDoesNotMatch';
    }
    return this.now() > expires * 1000 ? 'Request has expired' : null;
  }

  private signature(path: string, expires: number): string {
    return hexOf(40, 'storage-signature', this.secret, path, expires);
  }
}
