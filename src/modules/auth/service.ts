// The auth module's services, one file per concern (like Medplum's auth/): routes, the command line and
// other modules import them from here.
export * from './registration.ts';
export * from './verification.ts';
export * from './sessions.ts';
export * from './password.ts';
