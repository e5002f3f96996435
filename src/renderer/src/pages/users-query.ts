import type { z } from 'zod';
import type { Filters, UserListQuery } from '../../../shared/metrics.js';

type UsersInput = z.input<typeof UserListQuery>;

/** The users table's page size and default order; shared with the start-up prefetch (main.tsx) so the keys match. */
export const USERS_PAGE = 500;
export const DEFAULT_USER_SORT: NonNullable<UsersInput['sort']> = { field: 'lastActiveAt', dir: 'desc' };

/** The analytics.users input for one page (key order fixed: the prefetch matches calls by their JSON). */
export function usersPageQuery(q: { filters: Filters; search?: string; sort?: UsersInput['sort'] }, page: number): UsersInput {
  return { filters: q.filters, ...(q.search ? { search: q.search } : {}), ...(q.sort ? { sort: q.sort } : {}), offset: page * USERS_PAGE, limit: USERS_PAGE };
}
