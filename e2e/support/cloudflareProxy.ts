/**
 * `https://api.cloudflare.com` for clients that cannot be given another base
 * URL. external-dns 0.14's Cloudflare client (cloudflare-go v0.95) always
 * calls api.cloudflare.com, but Go honours HTTPS_PROXY and SSL_CERT_FILE. This
 * is an HTTP proxy that answers `CONNECT api.cloudflare.com:443` itself: it
 * terminates TLS with a certificate for api.cloudflare.com made for this run
 * (openssl) and hands the connection to the Cloudflare stand-in. Every other
 * CONNECT target is refused, so nothing leaves the machine. (Go never proxies
 * loopback addresses, so the Kubernetes API is reached directly.)
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import type { CloudflareApi } from "./cloudflareApi";

const CLOUDFLARE_HOST = "api.cloudflare.com";

export interface CloudflareProxy {
  /** The environment a Go client needs: HTTPS_PROXY and SSL_CERT_FILE. */
  readonly env: Record<string, string>;
  /** CONNECT targets that were refused (anything but api.cloudflare.com:443). */
  readonly refused: readonly string[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1; the certificate and key are written to `dir`. */
export async function startCloudflareProxy(
  api: CloudflareApi,
  dir: string,
): Promise<CloudflareProxy> {
  const { certFile, keyFile } = selfSignedCertificate(dir);
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const refused: string[] = [];
  const server: Server = createServer((_request, response) => {
    response.writeHead(405).end("only CONNECT");
  });
  server.on("connect", (request, socket: Socket, head: Buffer) => {
    if (request.url !== `${CLOUDFLARE_HOST}:443`) {
      refused.push(request.url ?? "");
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) socket.unshift(head);
    const tls = new TLSSocket(socket, { isServer: true, cert, key });
    tls.on("error", () => socket.destroy());
    api.acceptConnection(tls);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, SSL_CERT_FILE: certFile },
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for api.cloudflare.com; Go trusts it as the only root in SSL_CERT_FILE. */
function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "api.cloudflare.com.crt");
  const keyFile = join(dir, "api.cloudflare.com.key");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${CLOUDFLARE_HOST}`,
      "-addext",
      `subjectAltName=DNS:${CLOUDFLARE_HOST}`,
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { certFile, keyFile };
}
