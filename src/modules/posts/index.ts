// The public entry of the posts module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Doctors' health posts.
export { toPost } from './schemas.ts';
export { listByAuthor } from './repo.ts';
export type { PostWithAuthor } from './repo.ts';
