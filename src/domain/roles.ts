// Who a caller of the server is and what they may do (DESIGN.md "Server access"): a `viewer` reads, an
// `admin` also manages connections, webhooks and syncs. One list, the type derived from it.

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whoever made a request: the token's name (or the bootstrap token, or the local user) and its role. */
export interface Caller {
  name: string;
  role: Role;
}

/** Whether `role` may do what `needed` is required for (an admin may do everything a viewer may). */
export function roleAllows(role: Role, needed: Role): boolean {
  return needed === 'viewer' || role === 'admin';
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
