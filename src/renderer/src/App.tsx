import { Suspense, useLayoutEffect } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary.js';
import { OfflineBanner, TopBar } from './components/TopBar.js';
import { EmptyState, Loading } from './components/ui.js';
import { pageKey } from '../../shared/pages.js';
import { pages } from './pages.js';
import { hrefTo, navigate, parseRoute, useRoute } from './router.js';
import { THEME_PREFERENCES, setThemePreference, themePreference, useColorScheme, type ThemePreference } from './theme.js';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** Keyboard navigation between pages: 1–9 and 0 jump to a page, [ and ] step through the sidebar. */
function usePageShortcuts() {
  // A layout effect: listening before the first paint, so a key pressed as soon as the sidebar shows is not lost (a
  // passive effect may run later than that on a busy machine).
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      // The page is read from the URL, not from React state: two fast presses of [ must step twice,
      // even before the first hash change has re-rendered.
      const current = parseRoute(window.location.hash).page;
      const index = pages.findIndex((p) => p.id === current);
      if (/^[0-9]$/.test(e.key)) {
        const target = pages[e.key === '0' ? 9 : Number(e.key) - 1];
        if (target) navigate(target.id);
      } else if (e.key === ']' || e.key === '[') {
        const next = pages[(Math.max(0, index) + (e.key === ']' ? 1 : pages.length - 1)) % pages.length];
        navigate(next.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

const THEME_LABELS: Record<ThemePreference, string> = { system: 'System', light: 'Light', dark: 'Dark' };

/** System / Light / Dark, at the foot of the sidebar; the choice is kept across restarts. */
function ThemeSwitch() {
  useColorScheme(); // re-renders on every change, from here or from the OS
  const current = themePreference();
  return (
    <div className="sidebar-foot">
      <div className="seg theme-switch" role="radiogroup" aria-label="Theme">
        {THEME_PREFERENCES.map((p) => (
          <button key={p} role="radio" aria-checked={p === current} className={`seg-btn ${p === current ? 'on' : ''}`} onClick={() => setThemePreference(p)}>
            {THEME_LABELS[p]}
          </button>
        ))}
      </div>
    </div>
  );
}

export function App() {
  const route = useRoute();
  // A user drill-down (#/users/<id>) belongs to the Users entry of the sidebar.
  const page = pages.find((p) => p.id === route.page);
  usePageShortcuts();
  const groups = [...new Set(pages.map((p) => p.group))];
  const Page = page?.component;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Pages">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            ◆
          </span>
          <span>User Intelligence</span>
        </div>
        {groups.map((group) => (
          <div key={group} className="nav-group">
            <div className="nav-group-label">{group}</div>
            {pages
              .filter((p) => p.group === group)
              .map((p) => (
                <a
                  key={p.id}
                  href={hrefTo(p.id)}
                  className={`nav-item ${p.id === route.page ? 'active' : ''}`}
                  aria-current={p.id === route.page ? 'page' : undefined}
                  title={`${p.label} (${pageKey(pages.indexOf(p))})`}
                >
                  <span className="nav-icon" aria-hidden>
                    {p.icon}
                  </span>
                  {p.label}
                  <kbd className="nav-key">{pageKey(pages.indexOf(p))}</kbd>
                </a>
              ))}
          </div>
        ))}
        <ThemeSwitch />
      </nav>
      <main className="content" id="main">
        <TopBar showFilters={!!page?.filters} />
        <OfflineBanner />
        <ErrorBoundary key={route.page}>
          <Suspense fallback={<Loading rows={4} />}>
            {Page ? <Page params={route.params} /> : <EmptyState title="Page not found" body={`There is no page "${route.page}".`} />}
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
