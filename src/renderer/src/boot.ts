import { prefetch } from './api/client.js';
import { DASHBOARD_PAGES, loaderOf } from './page-loaders.js';
import { usersPageQuery, DEFAULT_USER_SORT } from './pages/users-query.js';
import { parseRoute } from './router.js';
import { loadFilters } from './state/saved-filters.js';
import './styles.css';
import { applyTheme } from './theme.js';

// The entry point, kept free of React: React's own code (most of the start-up bundle) downloads and evaluates while
// the first page's code and its first data are already on their way, instead of one after the other.
applyTheme(); // before the first paint: no flash of the other theme
void import('./main.js');
const route = parseRoute(window.location.hash);
void loaderOf(route.page)?.();
if (route.page === 'users' && !route.params[0]) prefetch('analytics.users', usersPageQuery({ filters: loadFilters(), sort: DEFAULT_USER_SORT }, 0));
if (DASHBOARD_PAGES.has(route.page)) prefetch('analytics.dashboard', { filters: loadFilters() });
