/**
 * What Cloudflare says about the token and the zones' ownership records. The
 * token goes into the Authorization header and nowhere else.
 */
import {
  CLOUDFLARE_API,
  cloudflareErrors,
  listDnsRecords,
  listTokens,
  type CloudflareAccess as RecordsAccess,
} from "../components/cloudflareRecords";
import type { TokenListing, TokenObservation, ZoneRecord } from "./checks";

export interface CloudflareAccess extends RecordsAccess {
  /** Account of an account-owned token; undefined for a user token. */
  accountId?: string;
}

async function get(access: CloudflareAccess, path: string): Promise<Response> {
  return fetch(`${access.baseUrl ?? CLOUDFLARE_API}${path}`, {
    headers: { Authorization: `Bearer ${access.token}` },
  });
}

export async function verifyToken(access: CloudflareAccess): Promise<TokenObservation> {
  const path = access.accountId
    ? `/accounts/${access.accountId}/tokens/verify`
    : "/user/tokens/verify";
  let response: Response;
  try {
    response = await get(access, path);
  } catch (error) {
    return { kind: "unavailable", reason: `Cloudflare unreachable (${(error as Error).message})` };
  }
  if (response.status === 401 || response.status === 403)
    return { kind: "rejected", httpStatus: response.status, ...(await firstError(response)) };
  if (!response.ok)
    return { kind: "unavailable", reason: `Cloudflare answered ${response.status}` };
  const body = (await response.json()) as {
    result?: { id?: string; status?: string; expires_on?: string };
  };
  return {
    kind: "verified",
    id: body.result?.id,
    status: body.result?.status ?? "unknown",
    expiresOn: body.result?.expires_on,
  };
}

/** Cloudflare's first error in an error answer, if any. */
async function firstError(response: Response): Promise<{ code?: number; message?: string }> {
  const [error] = cloudflareErrors(await response.text().catch(() => ""));
  return error ?? {};
}

/** Every record of the zones; undefined when Cloudflare refuses or cannot be reached. */
export async function listZoneRecords(
  access: CloudflareAccess,
  zoneIds: string[],
): Promise<ZoneRecord[] | undefined> {
  try {
    const zones = await Promise.all(zoneIds.map((zoneId) => listDnsRecords(access, zoneId)));
    return zones.flat().map(({ name, type, content }) => ({ name, type, content }));
  } catch {
    return undefined;
  }
}

/**
 * Every token of the user (or of the account) whose name starts with
 * `namePrefix`. Listing tokens needs the bootstrap token's API Tokens Read;
 * the minted token cannot.
 */
export async function listTokensNamed(
  access: CloudflareAccess,
  namePrefix: string,
): Promise<TokenListing> {
  try {
    const tokens = (await listTokens(access, access.accountId))
      .filter((token) => token.name.startsWith(namePrefix))
      .map((token) => ({
        id: token.id,
        name: token.name,
        status: token.status,
        issuedOn: token.issued_on,
      }));
    return { kind: "listed", tokens };
  } catch (error) {
    return { kind: "unavailable", reason: (error as Error).message };
  }
}
