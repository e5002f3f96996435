import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { DashboardProvider } from './state/dashboard.js';
import { FiltersProvider } from './state/filters.js';
import { WorkspaceProvider } from './state/workspace.js';

// Loaded by boot.ts, which has already started the first page's code and data.
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
