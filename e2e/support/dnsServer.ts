/**
 * A DNS server on loopback that answers from the Cloudflare stand-in's live
 * records, as Cloudflare's own nameservers answer for its zones: what
 * external-dns wrote is what a resolver sees, at once. `npm run verify` reaches
 * it through its ordinary `--resolver host:port` option.
 *
 * It is authoritative for the stand-in's zones (NXDOMAIN for a name with no
 * record, an empty answer for a name without the asked type), follows CNAMEs
 * inside those zones, and refuses every other name.
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import * as packet from "dns-packet";
import type { CloudflareState, DnsRecord, Zone } from "./cloudflareApi";

export interface StandInDnsServer {
  /** `127.0.0.1:PORT`, for `--resolver`. */
  readonly address: string;
  close(): Promise<void>;
}

const ANSWER_TTL = 60;
/** RCODE values, which dns-packet takes in the low four bits of `flags`. */
const RCODES = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;
const MAX_CNAME_CHAIN = 8;

type Question = packet.Question;
type Answer = packet.Answer;

/** The character-strings of a TXT record's content as Cloudflare stores it ("a" "b", or bare). */
export function txtStrings(content: string): string[] {
  const quoted = [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) =>
    match[1].replace(/\\(.)/g, "$1"),
  );
  return quoted.length > 0 ? quoted : [content];
}

function zoneOf(state: CloudflareState, name: string): Zone | undefined {
  return state.zones.find((zone) => name === zone.name || name.endsWith(`.${zone.name}`));
}

function toAnswer(record: DnsRecord): Answer | undefined {
  const base = { name: record.name, ttl: record.ttl === 1 ? ANSWER_TTL : record.ttl };
  switch (record.type) {
    case "A":
      return { ...base, type: "A", data: record.content };
    case "AAAA":
      return { ...base, type: "AAAA", data: record.content };
    case "CNAME":
      return { ...base, type: "CNAME", data: record.content };
    case "TXT":
      return { ...base, type: "TXT", data: txtStrings(record.content) };
    default:
      return undefined;
  }
}

/** The answer section and response code for one question, from the stand-in's state. */
export function answerQuestion(
  state: CloudflareState,
  question: Pick<Question, "name" | "type">,
): { rcode: keyof typeof RCODES; answers: Answer[] } {
  const answers: Answer[] = [];
  let name = question.name.toLowerCase().replace(/\.$/, "");
  const firstZone = zoneOf(state, name);
  if (!firstZone) return { rcode: "REFUSED", answers };
  for (let hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
    const zone = zoneOf(state, name);
    if (!zone) break;
    const named = state.records(zone.id).filter((record) => record.name === name);
    if (named.length === 0) return { rcode: hop === 0 ? "NXDOMAIN" : "NOERROR", answers };
    const cname = named.find((record) => record.type === "CNAME");
    if (cname && question.type !== "CNAME") {
      answers.push(toAnswer(cname) as Answer);
      name = cname.content.toLowerCase().replace(/\.$/, "");
      continue;
    }
    for (const record of named.filter((candidate) => candidate.type === question.type)) {
      const answer = toAnswer(record);
      if (answer) answers.push(answer);
    }
    break;
  }
  return { rcode: "NOERROR", answers };
}

function respond(state: CloudflareState, query: packet.Packet): Buffer {
  const question = query.questions?.[0];
  const { rcode, answers } = question
    ? answerQuestion(state, question)
    : { rcode: "REFUSED" as const, answers: [] };
  const recursionDesired = (query.flags ?? 0) & packet.RECURSION_DESIRED;
  return packet.encode({
    id: query.id,
    type: "response",
    flags: packet.AUTHORITATIVE_ANSWER | recursionDesired | RCODES[rcode],
    questions: query.questions,
    answers,
  });
}

export async function startStandInDns(state: CloudflareState): Promise<StandInDnsServer> {
  const socket = createSocket("udp4");
  socket.on("message", (message: Buffer, remote: RemoteInfo) => {
    let reply: Buffer;
    try {
      reply = respond(state, packet.decode(message));
    } catch {
      return; // not a DNS query: drop it, as a server would
    }
    socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
