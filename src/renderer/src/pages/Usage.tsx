import { EmptyState, PageHeader } from '../components/ui.js';

export default function UsagePage() {
  return (
    <>
      <PageHeader title="Usage" />
      <EmptyState title="Coming soon" />
    </>
  );
}
