/**
 * The component package's entry point: the ExternalDns component and its
 * argument types, for a Pulumi program that imports the package, and for
 * Pulumi, which serves it to Pulumi YAML and other languages (PulumiPlugin.yaml).
 */
export { ExternalDns } from "../components/externalDns";
export type * from "../components/externalDnsArgs";
