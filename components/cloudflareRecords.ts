/**
 * The few calls of Cloudflare's DNS records API this program makes itself
 * (besides the provider's): listing a zone's records, and one atomic batch of
 * record changes. The token goes into the Authorization header and nowhere
 * else; errors carry Cloudflare's status and messages, never the request.
 */

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";

export interface CloudflareAccess {
  token: string;
  /** API base URL; default Cloudflare's. Tests point it at a local server. */
  baseUrl?: string;
}

export interface DnsRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
}

/** A TXT record to create. */
export interface NewTxtRecord {
  name: string;
  content: string;
  ttl: number;
}

/** Cloudflare's page size limit for DNS record listings. */
const PAGE_SIZE = 5000;

export class CloudflareApiError extends Error {}

/** Every record of a zone, across pages. */
export async function listDnsRecords(
  access: CloudflareAccess,
  zoneId: string,
): Promise<DnsRecord[]> {
  const records: DnsRecord[] = [];
  for (let page = 1; ; page++) {
    const body = (await callCloudflare(
      access,
      "GET",
      `/zones/${zoneId}/dns_records?per_page=${PAGE_SIZE}&page=${page}`,
    )) as { result: DnsRecord[]; result_info?: { total_pages?: number } };
    records.push(
      ...body.result.map(({ id, name, type, content, ttl }) => ({ id, name, type, content, ttl })),
    );
    if (page >= (body.result_info?.total_pages ?? 1)) return records;
  }
}

/** A zone and every record in it. */
export interface ZoneListing {
  zoneId: string;
  zoneName: string;
  records: readonly DnsRecord[];
}

/** Every record of each zone, zone by zone. */
export async function listZones(
  access: CloudflareAccess,
  zones: readonly { id: string; name: string }[],
): Promise<ZoneListing[]> {
  const listings: ZoneListing[] = [];
  for (const zone of zones)
    listings.push({
      zoneId: zone.id,
      zoneName: zone.name,
      records: await listDnsRecords(access, zone.id),
    });
  return listings;
}

/** A zone's name, by its ID (needs Zone Read on it). */
export async function zoneName(access: CloudflareAccess, zoneId: string): Promise<string> {
  const body = (await callCloudflare(access, "GET", `/zones/${zoneId}`)) as {
    result: { name: string };
  };
  return body.result.name;
}

/** A new content for an existing TXT record. */
export interface TxtContentChange {
  id: string;
  content: string;
}

/**
 * Changes records of one zone in one batch, which Cloudflare applies all or
 * nothing, in this order: deletes, patches, posts.
 */
export async function batchDnsRecords(
  access: CloudflareAccess,
  zoneId: string,
  changes: { posts?: NewTxtRecord[]; deletes?: string[]; patches?: TxtContentChange[] },
): Promise<void> {
  await callCloudflare(access, "POST", `/zones/${zoneId}/dns_records/batch`, {
    posts: (changes.posts ?? []).map((record) => ({ type: "TXT", proxied: false, ...record })),
    deletes: (changes.deletes ?? []).map((id) => ({ id })),
    ...(changes.patches && { patches: changes.patches }),
  });
}

/** One Cloudflare API call; a refusal or network failure throws a CloudflareApiError naming the route and Cloudflare's answer. */
export async function callCloudflare(
  access: CloudflareAccess,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${access.baseUrl ?? CLOUDFLARE_API}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${access.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CloudflareApiError(
      `${method} ${path.split("?")[0]}: Cloudflare unreachable (${(error as Error).message})`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new CloudflareApiError(
      `${method} ${path.split("?")[0]}: Cloudflare answered ${response.status}${cloudflareMessages(text)}`,
    );
  }
  return JSON.parse(text);
}

/** The errors of Cloudflare's error envelope (`errors: [{ code, message }]`) in a response body; none if it has none. */
export function cloudflareErrors(text: string): { code: number; message: string }[] {
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] })
      .errors;
    return (errors ?? []).filter(
      (error): error is { code: number; message: string } =>
        typeof error.code === "number" && typeof error.message === "string",
    );
  } catch {
    return [];
  }
}

/**
 * Cloudflare's answer to a token used from outside its `condition.request_ip`
 * (error 9109, "Cannot use the access token from location: <ip>"): the token
 * itself is fine.
 */
export const REFUSED_FROM_LOCATION = /Cannot use the access token from location/;

/** Cloudflare's error messages from a response body, if it has them. */
function cloudflareMessages(text: string): string {
  const errors = cloudflareErrors(text);
  if (errors.length === 0) return "";
  return `: ${errors.map((error) => `${error.message} (${error.code})`).join("; ")}`;
}

/** A token as Cloudflare lists it (never its value). */
export interface ListedToken {
  id: string;
  name: string;
  status: string;
  issued_on?: string;
}

/** Cloudflare's largest page of tokens (per_page 5–50). */
const TOKENS_PER_PAGE = 50;

/**
 * Every token of the user, or of the account; needs a token that may list
 * tokens (the bootstrap token's API Tokens Read), not the minted one.
 */
export async function listTokens(
  access: CloudflareAccess,
  accountId?: string,
): Promise<ListedToken[]> {
  const base = tokensPath(accountId);
  const tokens: ListedToken[] = [];
  for (let page = 1; ; page++) {
    const body = (await callCloudflare(
      access,
      "GET",
      `${base}?per_page=${TOKENS_PER_PAGE}&page=${page}`,
    )) as { result: ListedToken[]; result_info?: { total_pages?: number } };
    tokens.push(...body.result);
    if (page >= (body.result_info?.total_pages ?? 1)) return tokens;
  }
}

/** Where the user's (or the account's) tokens live. */
export function tokensPath(accountId?: string): string {
  return accountId ? `/accounts/${accountId}/tokens` : "/user/tokens";
}
