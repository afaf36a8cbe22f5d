import { EmptyState } from '../components/empty-state.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { Link } from '../router.tsx';

export function NotFoundPage() {
  return (
    <>
      <PageHeading title="Page not found" />
      <EmptyState
        title="There is no dashboard page at this address."
        action={<Link to="/">Go to the overview</Link>}
      />
    </>
  );
}
