/**
 * What each role may do. Routes ask for a capability, never for a role, so a new role (or a role gaining a right)
 * is one line here.
 */
import type { UserRole } from '../records/types.ts';

/** conversations: the queue, replies, notes, tickets, quick replies; knowledge and reports: the owner console (next); administration: users, settings, the webhook log. */
export type Capability = 'conversations' | 'knowledge' | 'reports' | 'administration';

export const ROLES: readonly UserRole[] = ['agent', 'owner', 'admin'];

export const ROLE_CAPABILITIES: Readonly<Record<UserRole, readonly Capability[]>> = {
  agent: ['conversations'],
  // Owners answer customers too: a small team's knowledge owner is often also its agent.
  owner: ['conversations', 'knowledge', 'reports'],
  admin: ['administration'],
};

/**
 * Whether a role has a capability.
 *
 * @example
 *   can('owner', 'conversations') // true
 *   can('admin', 'conversations') // false
 */
export function can(role: UserRole, capability: Capability): boolean {
  return ROLE_CAPABILITIES[role].includes(capability);
}

export function isRole(value: string): value is UserRole {
  return (ROLES as readonly string[]).includes(value);
}
