// Doctors' health articles: writing, editing, the public list and full-text search in the post's language.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): posts.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { toPost } from './schemas.ts';
export { listByAuthor } from './repo.ts';
export type { PostWithAuthor } from './repo.ts';
