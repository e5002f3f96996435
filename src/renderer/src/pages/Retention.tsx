import { EmptyState, PageHeader } from '../components/ui.js';

export default function RetentionPage() {
  return (
    <>
      <PageHeader title="Retention" />
      <EmptyState title="Coming soon" />
    </>
  );
}
