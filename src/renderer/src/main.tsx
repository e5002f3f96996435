import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { prefetch } from './api/client.js';
import { App } from './App.js';
import { DEFAULT_USER_SORT, usersPageQuery } from './pages/users-query.js';
import { pages } from './pages.js';
import { parseRoute } from './router.js';
import { DashboardProvider } from './state/dashboard.js';
import { FiltersProvider, loadFilters } from './state/filters.js';
import { WorkspaceProvider } from './state/workspace.js';
import './styles.css';

// The first page's code loads while React starts, instead of after the first render; the users table's first
// rows are asked for at the same time.
const route = parseRoute(window.location.hash);
pages.find((p) => p.id === route.page)?.preload();
if (route.page === 'users' && !route.params[0]) prefetch('analytics.users', usersPageQuery({ filters: loadFilters(), sort: DEFAULT_USER_SORT }, 0));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <WorkspaceProvider>
      <FiltersProvider>
        <DashboardProvider>
          <App />
        </DashboardProvider>
      </FiltersProvider>
    </WorkspaceProvider>
  </StrictMode>,
);
