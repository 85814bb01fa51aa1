/** The stand-in's routes (method, path pattern, request kind, handler) and how a request finds one. */
import type { Context, Reply } from "./context";
import { batchRecords, getRecord, listRecords, writeRecord } from "./records";
import type { RequestKind } from "./requestLog";
import {
  createToken,
  deleteToken,
  getToken,
  listPermissionGroups,
  listTokens,
  updateToken,
  verifyToken,
} from "./tokens";
import { getZone, listZones } from "./zones";

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

interface Route {
  method: string;
  pattern: RegExp;
  kind: RequestKind;
  handle: (ctx: Context) => Reply;
}

/** User tokens and account tokens share handlers; `accountId` tells them apart. */
const TOKENS = "(?:/user|/accounts/(?<accountId>[^/]+))/tokens";

function route(method: string, path: string, kind: RequestKind, handle: Route["handle"]): Route {
  return { method, pattern: new RegExp(`^${path}$`), kind, handle };
}

/** Order matters: fixed segments (verify, permission_groups, batch) before ids. */
const ROUTES: Route[] = [
  route("GET", `${TOKENS}/verify`, "tokens.verify", verifyToken),
  route("GET", `${TOKENS}/permission_groups`, "permission_groups.list", listPermissionGroups),
  route("GET", TOKENS, "tokens.list", listTokens),
  route("POST", TOKENS, "tokens.create", createToken),
  route("GET", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.get", getToken),
  route("PUT", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.update", updateToken),
  route("DELETE", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.delete", deleteToken),
  route("GET", "/zones", "zones.list", listZones),
  route("GET", "/zones/(?<zoneId>[^/]+)", "zones.get", getZone),
  route("GET", "/zones/(?<zoneId>[^/]+)/dns_records", "dns_records.list", listRecords),
  route("POST", "/zones/(?<zoneId>[^/]+)/dns_records", "dns_records.create", writeRecord("post")),
  route("POST", "/zones/(?<zoneId>[^/]+)/dns_records/batch", "dns_records.batch", batchRecords),
  route(
    "GET",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.get",
    getRecord,
  ),
  route(
    "PUT",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.update",
    writeRecord("put"),
  ),
  route(
    "PATCH",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.patch",
    writeRecord("patch"),
  ),
  route(
    "DELETE",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.delete",
    writeRecord("delete"),
  ),
];

interface Match {
  route?: Route;
  params: Record<string, string>;
  /** The path exists, but not for this method. */
  wrongMethod: boolean;
}

export function matchRoute(method: string, path: string): Match {
  let wrongMethod = false;
  for (const candidate of ROUTES) {
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    if (candidate.method !== method) {
      wrongMethod = true;
      continue;
    }
    const params = Object.fromEntries(
      Object.entries(found.groups ?? {}).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    return { route: candidate, params, wrongMethod: false };
  }
  return { params: {}, wrongMethod };
}
