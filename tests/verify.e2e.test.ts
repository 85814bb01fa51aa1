/**
 * `verify` end to end, with nothing leaving the machine: a local stand-in for
 * the Kubernetes API serving recorded responses (read through
 * @kubernetes/client-node), a local stand-in for Cloudflare's API, and a real
 * DNS server (dnsmasq) on loopback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackConfig } from "../stacks/stackFiles";
import { exitCode } from "../verify/checks";
import { renderVerification } from "../verify/render";
import { type Verification, verify } from "../verify/run";
import { type DnsServer, startDnsServer } from "./support/dnsServer";
import { collectUnhandledRejections } from "./support/program";
import { requireTools } from "./support/tools";
import { fixture, fixtureText, RECORDED_SECRET_TOKEN } from "./support/verifyFixtures";

collectUnhandledRejections();

const CLOUDFLARE_TOKEN = "cf-token-under-test-Hq27Lm";
const BOOTSTRAP_TOKEN = "cf-bootstrap-token-under-test-Zt81Qp";
const LEFTOVER_ID = "7c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f";
const OWNER = "heritage=external-dns,external-dns/owner=hetzner-production";
const NOT_FOUND = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  reason: "NotFound",
  code: 404,
};

const kubeRoutes: Record<string, () => unknown> = {
  "/api/v1/namespaces/external-dns": () => fixture("namespace.json"),
  "/apis/apps/v1/namespaces/external-dns/deployments/external-dns": () =>
    fixture("deployment.json"),
  "/api/v1/namespaces/external-dns/pods": () => fixture("pods.json"),
  "/apis/isindir.github.com/v1alpha3/namespaces/external-dns/sopssecrets/external-dns-cloudflare":
    () => fixture("sopssecret.json"),
  "/api/v1/namespaces/external-dns/secrets/cloudflare-api-token": () => fixture("secret.json"),
  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gateways.gateway.networking.k8s.io":
    () => fixture("crd-gateways.json"),
  "/api/v1/services": () => fixture("services.json"),
  "/apis/networking.k8s.io/v1/ingresses": () => fixture("ingresses.json"),
  "/apis/gateway.networking.k8s.io/v1/httproutes": () => fixture("httproutes.json"),
  "/api/v1/namespaces/external-dns/pods/external-dns-6d9f7c5b8-x2k4q/log": () =>
    fixtureText("external-dns.log"),
};

const cloudflareRoutes: Record<string, () => unknown> = {
  "/accounts/9a7806061c88ada191ed06f989cc3dac/tokens/verify": () =>
    fixture("cloudflare-verify-active.json"),
  // The account's tokens: the one external-dns uses, one an interrupted up left, and another's.
  "/accounts/9a7806061c88ada191ed06f989cc3dac/tokens": () => ({
    success: true,
    errors: [],
    messages: [],
    result: [
      {
        id: "4d3f1a6b2c7e8f9a0b1c2d3e4f5a6b7c",
        name: "external-dns production (owner hetzner-production, rotated 2026-11-20)",
        status: "active",
        issued_on: "2026-11-20T09:00:00Z",
      },
      {
        id: LEFTOVER_ID,
        name: "external-dns production (owner hetzner-production, rotated 2026-11-20)",
        status: "active",
        issued_on: "2026-11-20T08:58:41Z",
      },
      { id: "0f9e8d7c6b5a49382716f5e4d3c2b1a0", name: "terraform ci", status: "active" },
    ],
    result_info: { page: 1, per_page: 50, count: 3, total_count: 3, total_pages: 1 },
  }),
  "/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records": () =>
    fixture("cloudflare-txt-records.json"),
  "/zones/5e1c1a1f43e04c1d8b2ea1a6f3b3c4d5/dns_records": () => ({
    success: true,
    result: [],
    result_info: { total_pages: 1 },
  }),
};

const requests: { server: string; path: string; authorization?: string }[] = [];

function serve(name: string, routes: Record<string, () => unknown>): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    requests.push({ server: name, path, authorization: request.headers.authorization });
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const body = route ? route() : NOT_FOUND;
    response.writeHead(route ? 200 : 404, {
      "content-type": typeof body === "string" ? "text/plain" : "application/json",
    });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function url(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const toolsPresent = requireTools(["dnsmasq"]);
let kube: Server;
let cloudflare: Server;
let dns: DnsServer;
let verification: Verification;

beforeAll(async () => {
  if (!toolsPresent) return;
  kube = await serve("kubernetes", kubeRoutes);
  cloudflare = await serve("cloudflare", cloudflareRoutes);
  dns = await startDnsServer({
    zones: ["example.com", "example.org"],
    a: [
      ["api.example.com", "192.0.2.20"],
      ["shop.example.com", "192.0.2.10"],
      ["docs.example.org", "192.0.2.50"],
    ],
    cname: [["www.example.org", "shop.example.com"]],
    txt: [
      ["externaldns-a.api.example.com", `${OWNER},external-dns/resource=service/shop/api`],
      ["externaldns-a.shop.example.com", `${OWNER},external-dns/resource=ingress/shop/shop`],
      ["externaldns-cname.www.example.org", `${OWNER},external-dns/resource=ingress/shop/shop`],
      [
        "externaldns-a.docs.example.org",
        "heritage=external-dns,external-dns/owner=hetzner-staging",
      ],
    ],
  });
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "test", server: url(kube), skipTLSVerify: true }],
    users: [{ name: "test", token: "kube-token" }],
    contexts: [{ name: "test", cluster: "test", user: "test" }],
    currentContext: "test",
  });
  verification = await verify({
    stack: "production",
    // The recorded Deployment runs chart 1.21.1 (external-dns 0.21.0).
    config: { ...stackConfig("production"), "external-dns:chartVersion": "1.21.1" },
    kubeConfig,
    cloudflareToken: CLOUDFLARE_TOKEN,
    bootstrapToken: BOOTSTRAP_TOKEN,
    cloudflareBaseUrl: url(cloudflare),
    resolver: dns.address,
    now: new Date("2026-11-25T12:00:00Z"),
  });
});

afterAll(() => {
  kube?.close();
  cloudflare?.close();
  dns?.stop();
});

describe("verify against recorded cluster, Cloudflare and a real DNS server", () => {
  it("reports every check as pass, warn or fail", () => {
    expect(verification.errors).toEqual([]);
    expect(
      verification.results.map((result) => `${result.status} ${result.area}: ${result.check}`),
    ).toEqual([
      "pass deployment: namespace",
      "pass deployment: deployment available",
      "pass deployment: pods ready",
      "pass deployment: restarts",
      "pass deployment: arguments",
      "pass secret chain: SopsSecret",
      "pass secret chain: Secret",
      "pass secret chain: token in use",
      "pass token: token active",
      "warn token: token expiry",
      "fail token: leftover tokens",
      "pass gateway api: gateways.gateway.networking.k8s.io",
      "fail gateway api: httproutes.gateway.networking.k8s.io",
      "pass records: api.example.com",
      "pass records: shop.example.com",
      "pass records: www.example.org",
      "fail records: blog.example.com",
      "fail records: docs.example.org",
      "fail records: orphans",
      "warn records: records without a source",
      "warn logs: 429 rate limited",
      "warn logs: skipped by filters",
      "warn logs: errors",
    ]);
    expect(exitCode(verification.results)).toBe(1);
  });

  it("explains the failures", () => {
    const docs = verification.results.find((result) => result.check === "docs.example.org");
    expect(docs?.detail).toBe("A is owned by hetzner-staging, not hetzner-production");
    const orphans = verification.results.find((result) => result.check === "orphans");
    expect(orphans?.detail).toBe(
      "ownership records left without their record: externaldns-cname.legacy.example.com",
    );
  });

  it("prints a short table with a hint under each problem", () => {
    const text = renderVerification(verification);
    expect(text).toMatch(/^Verify stack production\n\n/);
    expect(text).toContain("FAIL  gateway api   httproutes.gateway.networking.k8s.io");
    expect(text).toContain("      → install the Gateway API CRDs");
    expect(text).toMatch(/13 passed, 5 warnings, 5 failed\n$/);
  });

  it("never shows the Secret's value or the Cloudflare token", () => {
    const everything = renderVerification(verification) + JSON.stringify(verification);
    expect(everything).not.toContain(RECORDED_SECRET_TOKEN);
    expect(everything).not.toContain(Buffer.from(RECORDED_SECRET_TOKEN).toString("base64"));
    expect(everything).not.toContain(CLOUDFLARE_TOKEN);
    expect(everything).not.toContain(BOOTSTRAP_TOKEN);
  });

  it("names a token minted for this stack that external-dns does not use, with the command to delete it", () => {
    const leftover = verification.results.find((result) => result.check === "leftover tokens");
    expect(leftover?.detail).toBe(
      `1 token(s) named for this stack besides the one external-dns uses, each able to edit the zones' DNS: "external-dns production (owner hetzner-production, rotated 2026-11-20)" (id ${LEFTOVER_ID}, active, issued 2026-11-20T08:58:41Z)`,
    );
    expect(leftover?.hint).toContain(
      `curl -X DELETE -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" ${url(cloudflare)}/accounts/9a7806061c88ada191ed06f989cc3dac/tokens/${LEFTOVER_ID}`,
    );
  });

  it("sends each Cloudflare token only as a bearer token to Cloudflare: the bootstrap token only to list tokens", () => {
    const toCloudflare = requests.filter((request) => request.server === "cloudflare");
    expect(toCloudflare.length).toBeGreaterThan(0);
    for (const request of toCloudflare)
      expect(request.authorization).toBe(
        request.path.endsWith("/tokens")
          ? `Bearer ${BOOTSTRAP_TOKEN}`
          : `Bearer ${CLOUDFLARE_TOKEN}`,
      );
    for (const request of requests.filter((entry) => entry.server === "kubernetes")) {
      expect(request.authorization).toBe("Bearer kube-token");
    }
  });
});
