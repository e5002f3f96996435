import { EmptyState, PageHeader } from '../components/ui.js';

/** Placeholder: the live helper replaces this file (see docs/workbench.md, "Adding a page"). */
export default function LivePage() {
  return (
    <>
      <PageHeader title="Live" subtitle="The live event feed: every event as it arrives, with follow mode." />
      <EmptyState title="Coming soon" body="This page is being built." />
    </>
  );
}
