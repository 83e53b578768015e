// The users that own API keys and carry a plan, as the JSON API and the CLI see them.
import type { SqlExecutor } from '@edgepass/store';

export interface OwnerProfile {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  plan: string;
  roles: string[];
  status: 'active' | 'disabled';
  tenant: string | null;
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  plan: string;
  roles: string[];
  status: 'active' | 'disabled';
  tenant: string | null;
}

export const OWNER_COLUMNS = 'id, email, name, email_verified, plan, roles, status, tenant';

export function ownerFromRow(row: UserRow): OwnerProfile {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified,
    plan: row.plan,
    roles: row.roles,
    status: row.status,
    tenant: row.tenant,
  };
}

/** A user by id, or by email (case-insensitive) when ref contains `@`. */
export async function findOwner(db: SqlExecutor, ref: string): Promise<OwnerProfile | undefined> {
  const { rows } = await db.query<UserRow>(
    ref.includes('@')
      ? `SELECT ${OWNER_COLUMNS} FROM users WHERE lower(email) = lower($1)`
      : `SELECT ${OWNER_COLUMNS} FROM users WHERE id = $1`,
    [ref],
  );
  return rows[0] ? ownerFromRow(rows[0]) : undefined;
}
