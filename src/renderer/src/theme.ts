import { useEffect, useState } from 'react';

export type ColorScheme = 'light' | 'dark';
/** What the founder chose: follow the OS, or always light / dark. Kept in this renderer's localStorage. */
export type ThemePreference = 'system' | ColorScheme;
export const THEME_PREFERENCES: readonly ThemePreference[] = ['system', 'light', 'dark'];

const STORAGE_KEY = 'uis.theme';
const CHANGED = 'uis-theme-change';
const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');

export function themePreference(): ThemePreference {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system'; // storage refused (a locked-down profile): follow the OS
  }
}

/**
 * Puts the scheme in force on <html data-theme>; styles.css keys its dark tokens on it. Resolving "system" here
 * (not in a CSS media query) keeps one copy of the dark tokens.
 */
export function applyTheme(): ColorScheme {
  const pref = themePreference();
  const scheme: ColorScheme = pref === 'system' ? (darkQuery().matches ? 'dark' : 'light') : pref;
  document.documentElement.dataset.theme = scheme;
  return scheme;
}

export function setThemePreference(pref: ThemePreference): void {
  try {
    if (pref === 'system') window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, pref);
  } catch {
    // not kept across restarts, still applied now
  }
  applyTheme();
  window.dispatchEvent(new Event(CHANGED));
}

/** The scheme in force, live: follows the OS while the preference is "system", and every change of preference. */
export function useColorScheme(): ColorScheme {
  const [scheme, setScheme] = useState<ColorScheme>(applyTheme);
  useEffect(() => {
    const q = darkQuery();
    const onChange = () => setScheme(applyTheme());
    q.addEventListener('change', onChange);
    window.addEventListener(CHANGED, onChange);
    return () => {
      q.removeEventListener('change', onChange);
      window.removeEventListener(CHANGED, onChange);
    };
  }, []);
  return scheme;
}

export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Series colours: distinct in both themes, accent first. */
export const SERIES = ['#6366f1', '#14b8a6', '#f59e0b', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16', '#ec4899'];
