import { EmptyState, PageHeader } from '../components/ui.js';

/** Placeholder: the reports helper replaces this file (see docs/workbench.md, "Adding a page"). */
export default function ReportsPage() {
  return (
    <>
      <PageHeader title="Reports" subtitle="Investor-ready reports and scheduled e-mails." />
      <EmptyState title="Coming soon" body="This page is being built." />
    </>
  );
}
