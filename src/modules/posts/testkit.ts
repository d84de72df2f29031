// Shared set-up for the post tests (not a test file itself).
import type { Person, TestApp } from '../../../test/helpers.ts';

export const POSTS = '/api/v1/posts';

export async function writePost(app: TestApp, author: Person, body: Record<string, unknown> = {}) {
  const res = await app.request('POST', POSTS, {
    token: author.token,
    body: { title: 'Staying healthy in winter', body: 'Wash your hands and sleep enough.', tags: ['winter'], status: 'PUBLISHED', ...body },
  });
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${res.text}`);
  return res.body as { id: string; publishedAt: string | null; [k: string]: any };
}

export const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

/** Follows nextCursor to the end of a list and returns every item id in order. */
export async function walk(app: TestApp, path: string, token?: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: any = await app.request('GET', `${path}${cursor ? `${sep}cursor=${cursor}` : ''}`, { token });
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.text}`);
    out.push(...ids(res));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}
