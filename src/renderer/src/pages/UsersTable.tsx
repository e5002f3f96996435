import { getCoreRowModel, useReactTable, type ColumnDef, type SortingState, type VisibilityState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { invokePrefetched, RpcError } from '../api/client.js';
import { EmptyState, ErrorState, PageHeader } from '../components/ui.js';
import { dateTime, dayYear, int, label, countOf } from '../../../shared/format.js';
import { navigate } from '../router.js';
import { useFilters } from '../state/filters.js';
import { useWorkspace } from '../state/workspace.js';
import { USER_SORT_FIELDS } from '../../../shared/metric-definitions.js';
import type { Filters, UserRow } from '../../../shared/metrics.js';
import { DEFAULT_USER_SORT, USERS_PAGE as PAGE, usersPageQuery } from './users-query.js';

const ROW_HEIGHT = 40;
type SortField = (typeof USER_SORT_FIELDS)[number];

const BADGE: Record<string, string> = { power_user: 'good', first_creation: 'accent', signed_up: '', dormant: 'bad', churned: 'bad', week_2: 'good', week_1: 'accent', day_1: '' };

/** Column definitions: react-table owns sorting state and column visibility; cells render from the row. */
const columns: Array<ColumnDef<UserRow> & { meta: { width: number; num?: boolean; render(r: UserRow): React.ReactNode } }> = [
  { accessorKey: 'userId', id: 'userId', header: 'User', enableSorting: true, meta: { width: 120, render: (r) => <span className="strong">{r.userId}</span> } },
  { accessorKey: 'email', id: 'email', header: 'Email', enableSorting: true, meta: { width: 200, render: (r) => <span className="muted">{r.email ?? '—'}</span> } },
  { accessorKey: 'signedUpAt', id: 'signedUpAt', header: 'Signed up', enableSorting: true, meta: { width: 135, render: (r) => dayYear(r.signedUpAt) } },
  { accessorKey: 'lastActiveAt', id: 'lastActiveAt', header: 'Last active', enableSorting: true, meta: { width: 165, render: (r) => dateTime(r.lastActiveAt) } },
  { accessorKey: 'conversations', id: 'conversations', header: 'Conversations', enableSorting: true, meta: { width: 140, num: true, render: (r) => int(r.conversations) } },
  { accessorKey: 'messages', id: 'messages', header: 'Messages', enableSorting: true, meta: { width: 110, num: true, render: (r) => int(r.messages) } },
  { accessorKey: 'creditsUsed', id: 'creditsUsed', header: 'Credits', enableSorting: true, meta: { width: 85, num: true, render: (r) => <span className={r.ranOut ? 'warn-text' : ''}>{int(r.creditsUsed)}</span> } },
  { accessorKey: 'activationStatus', id: 'activationStatus', header: 'Activation', enableSorting: true, meta: { width: 130, render: (r) => <span className={`badge ${BADGE[r.activationStatus] ?? ''}`}>{label(r.activationStatus)}</span> } },
  { accessorKey: 'retentionCohort', id: 'retentionCohort', header: 'Retention', enableSorting: true, meta: { width: 105, render: (r) => <span className={`badge ${BADGE[r.retentionCohort] ?? ''}`}>{label(r.retentionCohort)}</span> } },
  { accessorKey: 'primaryUseCase', id: 'primaryUseCase', header: 'Use case', enableSorting: false, meta: { width: 160, render: (r) => label(r.primaryUseCase) } },
  { accessorKey: 'topTool', id: 'topTool', header: 'Top tool', enableSorting: false, meta: { width: 110, render: (r) => r.topTool ?? '—' } },
];

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * Rows load in pages of 500 as they scroll into view (server-side search, sort and filters): the first rows paint
 * after one small call even with 100k users, and the DOM holds only the visible rows.
 */
function useUserPages(query: Parameters<typeof usersPageQuery>[0], version: number) {
  const pages = useRef(new Map<number, UserRow[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<RpcError | null>(null);
  const [, setTick] = useState(0);
  const key = JSON.stringify(query);
  const keyWithVersion = `${version}:${key}`;

  const load = useCallback(
    (page: number) => {
      if (pages.current.has(page) || inflight.current.has(page)) return;
      inflight.current.add(page);
      const gen = generation.current;
      invokePrefetched('analytics.users', usersPageQuery(JSON.parse(key) as { filters: Filters }, page)).then(
        (r) => {
          if (gen !== generation.current) return;
          inflight.current.delete(page);
          pages.current.set(page, r.rows);
          setTotal(r.total);
          setTick((t) => t + 1);
        },
        (e: unknown) => {
          if (gen !== generation.current) return;
          inflight.current.delete(page);
          setError(e instanceof RpcError ? e : new RpcError('internal', String(e)));
        },
      );
    },
    [key],
  );

  useEffect(() => {
    generation.current++;
    pages.current = new Map();
    inflight.current = new Set();
    setTotal(null);
    setError(null);
    load(0);
  }, [keyWithVersion, load]);

  return {
    total,
    error,
    row: (i: number) => pages.current.get(Math.floor(i / PAGE))?.[i % PAGE],
    ensure: useCallback(
      (start: number, end: number) => {
        for (let p = Math.floor(start / PAGE); p <= Math.floor(end / PAGE); p++) load(p);
      },
      [load],
    ),
    retry: () => {
      setError(null);
      generation.current++;
      pages.current = new Map();
      inflight.current = new Set();
      load(0);
    },
  };
}

type Col = { id: string; columnDef: unknown };

/**
 * One virtual row. Memoized: while scrolling, only the slots whose index changed render (a row that scrolls in
 * reuses the slot of one that scrolled out); the others keep their props and are skipped.
 */
const UserRowView = memo(function UserRowView({ index, start, row: r, template, minWidth, columns: visible }: { index: number; start: number; row: UserRow | undefined; template: string; minWidth: number; columns: Col[] }) {
  // A recycled row (see the slot keys below) that had the focus now shows another user: focus does not follow it.
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (ref.current && ref.current === document.activeElement) ref.current.blur();
  }, [index]);
  return (
    <div
      ref={ref}
      role="row"
      aria-rowindex={index + 2}
      className={`vrow ${r ? 'clickable' : 'placeholder'}`}
      data-testid={r ? 'users-row' : undefined}
      data-user-id={r?.userId}
      style={{ gridTemplateColumns: template, transform: `translateY(${start}px)`, height: ROW_HEIGHT, width: '100%', minWidth }}
      tabIndex={r ? 0 : -1}
      onClick={() => r && navigate('users', r.userId)}
      onKeyDown={(e) => r && e.key === 'Enter' && navigate('users', r.userId)}
    >
      {visible.map((c) => {
        const meta = (c.columnDef as (typeof columns)[number]).meta;
        return (
          <div key={c.id} role="gridcell" className={`vcell ${meta.num ? 'num' : ''}`} data-col={c.id}>
            {r ? meta.render(r) : <span className="skeleton inline" />}
          </div>
        );
      })}
    </div>
  );
});

export function UsersTable() {
  const { filters } = useFilters();
  const { version } = useWorkspace();
  const [search, setSearch] = useState('');
  const debounced = useDebounced(search.trim(), 250);
  const [sorting, setSorting] = useState<SortingState>([{ id: DEFAULT_USER_SORT.field, desc: DEFAULT_USER_SORT.dir === 'desc' }]);
  const [visibility, setVisibility] = useState<VisibilityState>({ primaryUseCase: false });

  const table = useReactTable<UserRow>({
    data: [],
    columns,
    state: { sorting, columnVisibility: visibility },
    onSortingChange: setSorting,
    onColumnVisibilityChange: setVisibility,
    manualSorting: true,
    enableSortingRemoval: false,
    getCoreRowModel: getCoreRowModel(),
  });
  const sort = sorting[0] && (USER_SORT_FIELDS as readonly string[]).includes(sorting[0].id) ? { field: sorting[0].id as SortField, dir: sorting[0].desc ? ('desc' as const) : ('asc' as const) } : undefined;
  // The workspace version is part of the key so a switch or a sync reloads the rows (it is dropped before the call).
  const data = useUserPages({ filters, search: debounced || undefined, sort }, version);

  const scrollRef = useRef<HTMLDivElement>(null);
  const count = data.total ?? 0;
  // No flushSync on scroll: React renders the new rows in its own task, so a fling's frames stay short (the overscan covers the gap).
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12, useFlushSync: false });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const { ensure } = data;
  useEffect(() => {
    // Half a page ahead: the next rows are usually loaded before they scroll into view.
    if (count) ensure(first, Math.min(count - 1, last + PAGE / 2));
  }, [first, last, count, ensure]);

  const visibleKey = table.getVisibleLeafColumns().map((c) => c.id).join(',');
  // Stable across scroll renders so memoized rows can skip rendering.
  const visible = useMemo(() => table.getVisibleLeafColumns(), [table, visibleKey]);
  // Columns stretch to fill the card and shrink to 80% of their width before the table scrolls sideways.
  const widthOf = (c: (typeof visible)[number]) => (c.columnDef as (typeof columns)[number]).meta.width;
  const template = visible.map((c) => `minmax(${Math.round(widthOf(c) * 0.8)}px, ${widthOf(c)}fr)`).join(' ');
  const minWidth = Math.round(visible.reduce((a, c) => a + widthOf(c), 0) * 0.8);

  return (
    <>
      <PageHeader
        title="Users"
        subtitle={data.total === null ? 'Loading…' : `${countOf(data.total, 'user')} ${data.total === 1 ? 'matches' : 'match'}`}
        actions={
          <div className="row">
            <input className="search" type="search" placeholder="Search id, email, use case…" aria-label="Search users" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="users-search" />
            <details className="multi align-right">
              <summary className="btn">Columns</summary>
              <div className="multi-menu" role="group" aria-label="Columns">
                {table.getAllLeafColumns().map((c) => (
                  <label key={c.id} className="multi-option">
                    <input type="checkbox" checked={c.getIsVisible()} onChange={c.getToggleVisibilityHandler()} disabled={c.id === 'userId'} />
                    {String(c.columnDef.header)}
                  </label>
                ))}
              </div>
            </details>
          </div>
        }
      />
      {data.error ? (
        <ErrorState error={data.error} onRetry={data.retry} />
      ) : data.total === 0 ? (
        <EmptyState title="No users match" body={debounced ? `Nothing matches “${debounced}” with the current filters.` : 'No users in this segment.'} />
      ) : (
        <div className="card table-card">
          <div className="vtable" ref={scrollRef} data-testid="users-table" role="grid" aria-rowcount={count}>
            <div className="vrow vhead" style={{ gridTemplateColumns: template, minWidth, width: '100%' }} role="row">
              {table.getHeaderGroups()[0].headers.map((h) => {
                const meta = (h.column.columnDef as (typeof columns)[number]).meta;
                const dir = h.column.getIsSorted();
                return (
                  <div
                    key={h.id}
                    role="columnheader"
                    aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
                    className={`vcell ${meta.num ? 'num' : ''} ${h.column.getCanSort() ? 'sortable' : ''}`}
                    onClick={h.column.getToggleSortingHandler()}
                    tabIndex={h.column.getCanSort() ? 0 : undefined}
                    onKeyDown={(e) => e.key === 'Enter' && h.column.toggleSorting()}
                  >
                    {String(h.column.columnDef.header)}
                    {dir && <span className="sort">{dir === 'asc' ? '▲' : '▼'}</span>}
                  </div>
                );
              })}
            </div>
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth }}>
              {items.map((item) => (
                // Keyed by slot, not by index: the rendered indexes are consecutive, so a row that scrolls in takes the
                // slot of one that scrolled out and React updates its text instead of building new elements.
                <UserRowView key={item.index % items.length} index={item.index} start={item.start} row={data.row(item.index)} template={template} minWidth={minWidth} columns={visible} />
              ))}
            </div>
          </div>
        </div>
      )}
    </>
  );
}
