import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { DashboardProvider } from './state/dashboard.js';
import { FiltersProvider } from './state/filters.js';
import { WorkspaceProvider } from './state/workspace.js';
import './styles.css';

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
