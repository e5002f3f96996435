import { UserDetailPage } from './UserDetail.js';
import { UsersTable } from './UsersTable.js';

/** #/users → the table; #/users/<id> → that user's drill-down. */
export default function UsersPage({ params }: { params: string[] }) {
  return params[0] ? <UserDetailPage userId={params[0]} /> : <UsersTable />;
}
