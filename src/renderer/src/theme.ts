import { useEffect, useState } from 'react';

/** Follows the OS's light/dark setting live; charts re-read the CSS variables when it flips. */
export function useColorScheme(): 'light' | 'dark' {
  const query = () => window.matchMedia('(prefers-color-scheme: dark)');
  const [scheme, setScheme] = useState<'light' | 'dark'>(() => (query().matches ? 'dark' : 'light'));
  useEffect(() => {
    const q = query();
    const onChange = () => setScheme(q.matches ? 'dark' : 'light');
    q.addEventListener('change', onChange);
    return () => q.removeEventListener('change', onChange);
  }, []);
  return scheme;
}

export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Series colours: distinct in both themes, accent first. */
export const SERIES = ['#6366f1', '#14b8a6', '#f59e0b', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16', '#ec4899'];
