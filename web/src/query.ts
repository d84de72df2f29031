// Server state lives in one TanStack Query cache: a screen asks for an API path with its parameters and gets the
// cached answer at once (the same request from two components is sent once), refetched when it goes stale, when
// the tab regains focus, after the WebSocket reconnects, and when a real-time event says it changed. Lists follow
// the API's keyset cursor page after page. A query's key is [path, params], so invalidating a path invalidates
// every parameterisation of it.
import { QueryClient, useInfiniteQuery, useQuery } from '@tanstack/preact-query';
import type { FetchResponse, MaybeOptionalInit } from 'openapi-fetch';
import { api, asProblem, type Problem } from './api/client';
import type { paths } from './api/schema';
import { onRealtime } from './realtime';
import { session } from './session';

/** The API paths that answer GET (a path without one is generated as `get?: never`). */
export type GetPath = { [P in keyof paths]: paths[P] extends { get: object } ? P : never }[keyof paths];
type Init<P extends GetPath> = MaybeOptionalInit<paths[P], 'get'>;
export type GetData<P extends GetPath> = NonNullable<FetchResponse<paths[P]['get'], Init<P>, `${string}/${string}`>['data']>;

// Every query fails with a problem document (asProblem turns a network failure into one too).
declare module '@tanstack/query-core' {
  interface Register {
    defaultError: Problem;
  }
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Real-time events and mutations invalidate what they change; this only bounds what a missed event costs.
      staleTime: 30_000,
      // A problem document is an answer, not a network blip: 4xx are shown at once, 5xx and network errors retried twice.
      retry: (failures, error) => failures < 2 && (error.status === 0 || error.status >= 500),
    },
  },
});

/** One GET through the typed client; a problem answer becomes the query's error. */
async function get(path: string, init: object | undefined, signal: AbortSignal): Promise<unknown> {
  const r = await (api.GET as (p: string, i: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>)(path, {
    ...init,
    signal,
  });
  if (!r.response.ok) throw asProblem(r.error);
  return r.data;
}

/** What a screen renders from: the data (once loaded), the problem (if the last load failed), and a reload. */
export type Loaded<T> = { data: T | undefined; problem: Problem | null; loading: boolean; reload: () => void };

/** One API resource, cached under [path, init]. */
export function useGet<P extends GetPath>(path: P, init?: Init<P>, opts: { enabled?: boolean } = {}): Loaded<GetData<P>> {
  const q = useQuery({
    queryKey: [path, init ?? {}],
    queryFn: ({ signal }) => get(path, init, signal) as Promise<GetData<P>>,
    ...(opts.enabled === undefined ? {} : { enabled: opts.enabled }),
  });
  return {
    data: q.data,
    problem: q.error,
    loading: q.isFetching,
    reload: () => void q.refetch(),
  };
}

/** Paths whose answer is a keyset page (`{items, nextCursor}`). */
type ListPath = { [P in GetPath]: GetData<P> extends { items: unknown[]; nextCursor: string | null } ? P : never }[GetPath];
type Item<P extends ListPath> = GetData<P> extends { items: Array<infer T> } ? T : never;

export type PagedList<T> = {
  items: T[];
  problem: Problem | null;
  /** True until the first page has arrived (or failed). */
  loading: boolean;
  /** False once the last page is in. */
  hasMore: boolean;
  /** A page is being fetched (the first, a next one, or a refetch). */
  busy: boolean;
  loadMore: () => void;
  reload: () => void;
};

/** A keyset-paged list, page after page as the reader asks for more; `init.params.query` must not carry a cursor. */
export function useList<P extends ListPath>(path: P, init?: Init<P>, opts: { enabled?: boolean } = {}): PagedList<Item<P>> {
  const q = useInfiniteQuery({
    queryKey: [path, init ?? {}, 'pages'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => {
      const base = (init ?? {}) as { params?: { query?: object } };
      const withCursor = pageParam ? { ...base, params: { ...base.params, query: { ...base.params?.query, cursor: pageParam } } } : base;
      return get(path, withCursor, signal) as Promise<{ items: Item<P>[]; nextCursor: string | null }>;
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    ...(opts.enabled === undefined ? {} : { enabled: opts.enabled }),
  });
  return {
    items: q.data?.pages.flatMap((p) => p.items) ?? [],
    problem: q.error,
    loading: q.isPending && q.fetchStatus !== 'idle',
    hasMore: q.hasNextPage,
    busy: q.isFetching,
    loadMore: () => void q.fetchNextPage(),
    reload: () => void q.refetch(),
  };
}

/** Puts a new item (a message just sent or received) at the head of a cached list, once. */
export function prependItem<P extends ListPath>(path: P, init: Init<P> | undefined, item: Item<P> & { id: string }): void {
  type Pages = { pages: Array<{ items: Array<{ id: string }>; nextCursor: string | null }>; pageParams: unknown[] };
  queryClient.setQueryData<Pages>([path, init ?? {}, 'pages'], (old) => {
    if (!old?.pages.length || old.pages.some((p) => p.items.some((i) => i.id === item.id))) return old;
    const [first, ...rest] = old.pages;
    return { ...old, pages: [{ ...first!, items: [item, ...first!.items] }, ...rest] };
  });
}

/** Marks every cached answer of these paths stale (refetching those on screen). */
export function invalidate(...paths: GetPath[]): void {
  for (const p of paths) void queryClient.invalidateQueries({ queryKey: [p] });
}

/** What each real-time event changes. */
const APPOINTMENTS: GetPath[] = [
  '/api/v1/appointments',
  '/api/v1/appointments/{id}',
  '/api/v1/doctors/{doctorId}/slots',
  '/api/v1/doctors/me/patients',
  '/api/v1/waitlist',
];
// A thread adds its own new messages as they arrive (Thread in components/Conversations.tsx); the list's unread counts change.
const MESSAGES: GetPath[] = ['/api/v1/conversations'];

/** After a booking, a change or a cancellation: every list, page and slot grid that shows appointments. */
export const appointmentsChanged = () => invalidate(...APPOINTMENTS);

onRealtime((e) => {
  if (e.type === 'appointment.updated') appointmentsChanged();
  else if (e.type === 'message.created' || e.type === 'message.read') invalidate(...MESSAGES);
  else if (e.type === 'waitlist.offer') invalidate('/api/v1/waitlist');
  // Delivery is at most once: after a reconnect anything may have changed meanwhile.
  else if (e.type === 'reconnected') void queryClient.invalidateQueries({ predicate: (q) => q.meta?.live !== false });
});
// Another account must never see the previous one's cached answers.
let signedInAs: string | undefined;
session.subscribe(() => {
  const now = session.me?.user.id;
  if (now !== signedInAs) queryClient.clear();
  signedInAs = now;
});
