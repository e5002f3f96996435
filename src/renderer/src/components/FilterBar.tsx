import { useEffect, useRef } from 'react';
import { useRpc } from '../api/hooks.js';
import { label } from '../../../shared/format.js';
import { addDays } from '../../../shared/metric-definitions.js';
import type { Filters } from '../../../shared/metrics.js';
import { useRoute } from '../router.js';
import { useFilters } from '../state/filters.js';
import { useWorkspace } from '../state/workspace.js';

function MultiSelect({ name, options, selected, onChange, render = label }: { name: string; options: string[]; selected: string[] | undefined; onChange(v: string[]): void; render?: (v: string) => string }) {
  const chosen = selected ?? [];
  const ref = useRef<HTMLDetailsElement>(null);
  const route = useRoute();
  // A menu closes like any menu: on Escape, on a click outside it, and when the page changes.
  useEffect(() => {
    const onPointer = (e: PointerEvent) => {
      if (ref.current?.open && !ref.current.contains(e.target as Node)) ref.current.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !ref.current?.open) return;
      ref.current.open = false;
      ref.current.querySelector('summary')?.focus();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
  useEffect(() => {
    if (ref.current) ref.current.open = false;
  }, [route.page]);
  return (
    <details ref={ref} className="multi" data-testid={`filter-${name.toLowerCase().replace(/\s+/g, '-')}`}>
      <summary className={`btn ${chosen.length ? 'active' : ''}`}>
        {name}
        {chosen.length > 0 && <span className="count">{chosen.length}</span>}
      </summary>
      <div className="multi-menu" role="group" aria-label={name}>
        {options.length === 0 && <div className="muted small">No values</div>}
        {options.map((o) => (
          <label key={o} className="multi-option">
            <input
              type="checkbox"
              checked={chosen.includes(o)}
              onChange={(e) => onChange(e.target.checked ? [...chosen, o] : chosen.filter((x) => x !== o))}
            />
            {render(o)}
          </label>
        ))}
        {chosen.length > 0 && (
          <button className="btn small" onClick={() => onChange([])}>
            Clear
          </button>
        )}
      </div>
    </details>
  );
}

/** The global date range and segment: every dashboard page and the users table honour it. */
export function FilterBar() {
  const { filters, setFilters } = useFilters();
  const { version } = useWorkspace();
  const { data: opts } = useRpc('analytics.filterOptions', {}, [version]);
  const last = opts?.lastDay ?? undefined;
  const set = (patch: Partial<Filters>) => setFilters({ ...filters, ...patch });
  const preset = (days: number | null) => {
    if (days === null || !last) return set({ since: undefined, until: undefined });
    set({ since: addDays(last, -(days - 1)), until: last });
  };
  const active = (days: number | null) =>
    days === null ? !filters.since && !filters.until : !!last && filters.until === last && filters.since === addDays(last, -(days - 1));
  const segmentCount = (filters.tools?.length ?? 0) + (filters.useCases?.length ?? 0) + (filters.activation?.length ?? 0) + (filters.signupCohorts?.length ?? 0);
  return (
    <div className="filterbar" role="toolbar" aria-label="Filters">
      <div className="seg" role="group" aria-label="Date range presets">
        {([['7D', 7], ['30D', 30], ['90D', 90], ['All', null]] as const).map(([text, days]) => (
          <button key={text} className={`seg-btn ${active(days) ? 'on' : ''}`} onClick={() => preset(days)} disabled={!last && days !== null}>
            {text}
          </button>
        ))}
      </div>
      <label className="date-field">
        <span className="sr-only">From</span>
        <input type="date" aria-label="From" value={filters.since ?? ''} min={opts?.firstDay ?? undefined} max={filters.until ?? last} onChange={(e) => set({ since: e.target.value || undefined })} />
      </label>
      <span className="muted">→</span>
      <label className="date-field">
        <span className="sr-only">To</span>
        <input type="date" aria-label="To" value={filters.until ?? ''} min={filters.since ?? opts?.firstDay ?? undefined} max={last} onChange={(e) => set({ until: e.target.value || undefined })} />
      </label>
      <span className="divider" />
      <MultiSelect name="Tools" options={opts?.tools ?? []} selected={filters.tools} onChange={(v) => set({ tools: v })} render={(v) => v} />
      <MultiSelect name="Use cases" options={opts?.useCases ?? []} selected={filters.useCases} onChange={(v) => set({ useCases: v })} />
      <MultiSelect name="Activation" options={opts?.activation ?? []} selected={filters.activation} onChange={(v) => set({ activation: v as Filters['activation'] })} />
      <MultiSelect name="Signup week" options={opts?.signupCohorts ?? []} selected={filters.signupCohorts} onChange={(v) => set({ signupCohorts: v })} render={(v) => `Week of ${v}`} />
      {(segmentCount > 0 || filters.since || filters.until) && (
        <button className="btn ghost" onClick={() => setFilters({})}>
          Reset
        </button>
      )}
    </div>
  );
}
