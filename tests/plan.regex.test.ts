/**
 * `npm run plan` for a stack whose hostnames a regex decides: external-dns
 * ignores the domain lists then, so the plan renders none and says so.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runPlanCli } from "../plan/cli";
import { renderPlan } from "../plan/render";
import type { Plan } from "../plan/report";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";
import { collectUnhandledRejections } from "./support/program";

collectUnhandledRejections();

const { "external-dns:domainFilters": _filters, ...production } = stackConfig("production");
const regexStack = {
  ...production,
  "external-dns:excludeDomains": "[]",
  "external-dns:regexDomainExclusion": "(^|\\.)internal\\.example\\.com$|^www\\.example\\.org$",
};

let json: Plan;
let human: string;

beforeAll(async () => {
  const { code, stdout } = await runInProcess(runPlanCli, ["production", "--json"], {
    loadStack: () => regexStack,
  });
  expect(code).toBe(0);
  json = JSON.parse(stdout);
  human = renderPlan(json);
});

describe("plan with a regex exclusion only", () => {
  it("says in words that the regexes decide which hostnames are managed", () => {
    expect(human).toContain(
      "Managed hostnames: the regexes decide: every name, except names matching (^|\\.)internal\\.example\\.com$|^www\\.example\\.org$ " +
        "(external-dns ignores --domain-filter and --exclude-domains beside a regex; the token's zones still bound what can be touched)",
    );
  });

  it("renders no domain filter, only the regex", () => {
    expect(json.chart?.values.domainFilters).toEqual([]);
    expect(json.chart?.values.excludeDomains).toEqual([]);
    const filterArgs = json.chart?.containerArgs.filter((arg) =>
      /^--(domain-filter|exclude-domains|regex-)/.test(arg),
    );
    expect(filterArgs).toEqual([
      "--regex-domain-exclusion=(^|\\.)internal\\.example\\.com$|^www\\.example\\.org$",
    ]);
  });

  it("samples ownership records of the zones, leaving out what the regex excludes", () => {
    const hosts = [...new Set(json.ownershipTxtRecords?.map((record) => record.host))];
    expect(hosts).toEqual(["example.com", "www.example.com", "example.org"]);
  });
});
