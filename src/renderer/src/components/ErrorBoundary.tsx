import { Component, type ReactNode } from 'react';
import { OFFLINE_EVENT, RpcError } from '../api/client.js';
import { ErrorState } from './ui.js';

/** A page that throws while rendering shows an error card instead of blanking the whole window. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    // A page whose code cannot be fetched means the server is gone (web mode): say that, and raise the offline banner.
    if (/dynamically imported module|Importing a module script failed/i.test(error.message)) {
      window.dispatchEvent(new Event(OFFLINE_EVENT));
      return { error: new RpcError('offline', 'This page could not be loaded: the workbench server is not reachable.') };
    }
    return { error };
  }
  override render() {
    const error = this.state.error;
    // React.lazy keeps a failed import for good: after a lost connection, only a reload fetches the page again.
    if (error) return <ErrorState error={error} onRetry={() => (error instanceof RpcError && error.code === 'offline' ? window.location.reload() : this.setState({ error: null }))} />;
    return this.props.children;
  }
}
