/**
 * What Cloudflare says about the token and the zones' ownership records. The
 * token goes into the Authorization header and nowhere else.
 */
import type { TokenObservation, ZoneRecord } from "./checks";

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";

export interface CloudflareAccess {
  token: string;
  /** Account of an account-owned token; undefined for a user token. */
  accountId?: string;
  /** API base URL; tests point it at a local server. */
  baseUrl?: string;
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
    return { kind: "rejected", httpStatus: response.status };
  if (!response.ok)
    return { kind: "unavailable", reason: `Cloudflare answered ${response.status}` };
  const body = (await response.json()) as { result?: { status?: string; expires_on?: string } };
  return {
    kind: "verified",
    status: body.result?.status ?? "unknown",
    expiresOn: body.result?.expires_on,
  };
}

/** Every record of the zones (page size 5000: one request per zone for most zones). */
export async function listZoneRecords(
  access: CloudflareAccess,
  zoneIds: string[],
): Promise<ZoneRecord[] | undefined> {
  const records: ZoneRecord[] = [];
  for (const zoneId of zoneIds) {
    for (let page = 1; ; page++) {
      const response = await get(access, `/zones/${zoneId}/dns_records?per_page=5000&page=${page}`);
      if (!response.ok) return undefined;
      const body = (await response.json()) as {
        result: ZoneRecord[];
        result_info?: { total_pages?: number };
      };
      records.push(...body.result.map(({ name, type, content }) => ({ name, type, content })));
      if (page >= (body.result_info?.total_pages ?? 1)) break;
    }
  }
  return records;
}
