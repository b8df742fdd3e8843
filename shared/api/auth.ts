// Admin authentication, the middleware in front of every route but the public ones (router.ts
// runs it before routing): `Authorization: Bearer hla_<id>_<secret>`, checked against the stored
// SHA-256 of an admin that is not revoked, in the same time whether or not the admin exists.
import { adminCredentialId, digestsEqual, sha256Hex } from '../domain/credentials.ts';
import type { ManagementStore } from '../ports/management.ts';

/** The credential of `Authorization: Bearer <credential>`, if the header has that form. */
export function bearerCredential(header: string | null | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** The admin id of the request's credential (authentication has checked it by then). */
export function callerAdminId(request: Request): string | undefined {
  const credential = bearerCredential(request.headers.get('authorization'));
  return credential === undefined ? undefined : adminCredentialId(credential);
}

/** Compared with when no admin matches, so a miss costs the same hash and compare as a hit. */
const DUMMY_DIGEST = sha256Hex('hooklake: no such admin');

/** True when the request carries a credential whose SHA-256 matches a stored ADMIN item that is not revoked. */
export async function isAdminRequest(request: Request, findAdmin: ManagementStore['findAdmin']): Promise<boolean> {
  const credential = bearerCredential(request.headers.get('authorization'));
  if (credential === undefined) return false;
  const id = adminCredentialId(credential);
  const admin = id === undefined ? undefined : await findAdmin(id);
  const presented = sha256Hex(credential);
  const matches = digestsEqual(presented, admin?.tokenSha256 ?? DUMMY_DIGEST);
  return admin !== undefined && matches && admin.revokedAt === undefined;
}

