import { EmptyState, PageHeader } from '../components/ui.js';

export default function UsersPage() {
  return (
    <>
      <PageHeader title="Users" />
      <EmptyState title="Coming soon" />
    </>
  );
}
