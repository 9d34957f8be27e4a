/** Staff accounts, roles and tokens. See README.md. */
export { createAccounts, normaliseName, SignInLocked, type Accounts, type AccountSettings, type SignedIn } from './accounts.ts';
export { can, isRole, ROLE_CAPABILITIES, ROLES, type Capability } from './roles.ts';
export { newToken, parseToken, hashSecret, verifySecret, randomSecret, sha256, sameSecret } from './tokens.ts';
