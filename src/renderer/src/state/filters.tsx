import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Filters } from '../../../shared/metrics.js';
import { loadFilters, saveFilters } from './saved-filters.js';

interface FiltersState {
  /** The global date range + segment, passed as-is to every analytics channel. */
  filters: Filters;
  setFilters(next: Filters): void;
}

const FiltersContext = createContext<FiltersState>({ filters: {}, setFilters: () => {} });

/** Global filters, kept for the session so a reload or a page change keeps the founder's view. */
export function FiltersProvider({ children }: { children: ReactNode }) {
  const [filters, set] = useState<Filters>(loadFilters);
  const value = useMemo<FiltersState>(
    () => ({
      filters,
      setFilters(next) {
        // Drop empty lists and blank dates: the engine treats a missing key as "everything".
        const clean = Object.fromEntries(
          Object.entries(next).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)),
        ) as Filters;
        saveFilters(clean);
        set(clean);
      },
    }),
    [filters],
  );
  return <FiltersContext.Provider value={value}>{children}</FiltersContext.Provider>;
}

export function useFilters(): FiltersState {
  return useContext(FiltersContext);
}
