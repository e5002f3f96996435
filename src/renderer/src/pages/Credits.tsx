import { EmptyState, PageHeader } from '../components/ui.js';

export default function CreditsPage() {
  return (
    <>
      <PageHeader title="Credits" />
      <EmptyState title="Coming soon" />
    </>
  );
}
