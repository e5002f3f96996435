import { EmptyState, PageHeader } from '../components/ui.js';

export default function JourneyPage() {
  return (
    <>
      <PageHeader title="Journey" />
      <EmptyState title="Coming soon" />
    </>
  );
}
