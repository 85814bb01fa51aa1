/**
 * What DNS answers for the declared hostnames and their ownership records,
 * through Node's resolver (the system's, or `--resolver host:port`).
 */
import { Resolver } from "node:dns/promises";
import { MANAGED_RECORD_TYPES, ownershipTxtName } from "../components/txtRecords";
import type { ResolvedHostname } from "./checks";

const NO_ANSWER = new Set(["ENODATA", "ENOTFOUND", "NXDOMAIN"]);

async function answers<T>(query: Promise<T[]>): Promise<T[]> {
  try {
    return await query;
  } catch (error) {
    if (NO_ANSWER.has((error as { code?: string }).code ?? "")) return [];
    throw error;
  }
}

export function newResolver(address?: string): Resolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (address) resolver.setServers([address]);
  return resolver;
}

/** Records and ownership TXT records of one hostname; a failed lookup is reported, not thrown. */
export async function resolveHostname(
  resolver: Resolver,
  hostname: string,
  txtPrefix: string,
): Promise<ResolvedHostname> {
  try {
    return await lookUp(resolver, hostname, txtPrefix);
  } catch (error) {
    return { records: {}, txt: {}, error: (error as { code?: string }).code ?? String(error) };
  }
}

async function lookUp(
  resolver: Resolver,
  hostname: string,
  txtPrefix: string,
): Promise<ResolvedHostname> {
  const [a, aaaa, cname] = await Promise.all([
    answers(resolver.resolve4(hostname)),
    answers(resolver.resolve6(hostname)),
    answers(resolver.resolveCname(hostname)),
  ]);
  const txtNames = MANAGED_RECORD_TYPES.map((type) => ownershipTxtName(hostname, type, txtPrefix));
  const txt = await Promise.all(txtNames.map((name) => answers(resolver.resolveTxt(name))));
  return {
    // A CNAME answers A queries with the target's addresses: only count the CNAME then.
    records: cname.length > 0 ? { CNAME: cname } : { A: a, AAAA: aaaa },
    txt: Object.fromEntries(
      txtNames.map((name, index) => [name, txt[index].map((chunks) => chunks.join(""))]),
    ),
  };
}

export async function resolveHostnames(
  resolver: Resolver,
  hostnames: string[],
  txtPrefix: string,
): Promise<Map<string, ResolvedHostname>> {
  const unique = [...new Set(hostnames)];
  const resolved = await Promise.all(
    unique.map((hostname) => resolveHostname(resolver, hostname, txtPrefix)),
  );
  return new Map(unique.map((hostname, index) => [hostname, resolved[index]]));
}
