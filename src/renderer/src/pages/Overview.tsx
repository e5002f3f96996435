import { EmptyState, PageHeader } from '../components/ui.js';

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" />
      <EmptyState title="Coming soon" />
    </>
  );
}
