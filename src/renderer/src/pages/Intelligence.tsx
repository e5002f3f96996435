import { EmptyState, PageHeader } from '../components/ui.js';

/** Placeholder: the intelligence helper replaces this file (see docs/workbench.md, "Adding a page"). */
export default function IntelligencePage() {
  return (
    <>
      <PageHeader title="Intelligence" subtitle="Intent clusters, blockers and feature requests found in conversations, and ad-hoc AI analysis." />
      <EmptyState title="Coming soon" body="This page is being built." />
    </>
  );
}
