import { EmptyState, PageHeader } from '../components/ui.js';

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" />
      <EmptyState title="Coming soon" />
    </>
  );
}
