import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { pages } from './pages.js';
import { parseRoute } from './router.js';
import { DashboardProvider } from './state/dashboard.js';
import { FiltersProvider } from './state/filters.js';
import { WorkspaceProvider } from './state/workspace.js';
import './styles.css';

// The first page's code loads while React starts, instead of after the first render.
pages.find((p) => p.id === parseRoute(window.location.hash).page)?.preload();

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
