import { join } from "node:path";

/** A delivered message as a person's mail program would show it. */
export interface ReadMail {
  to: string;
  subject: string;
  messageId: string;
  text: string;
  html: string;
}

function decodeQuotedPrintable(body: string): string {
  const bytes: number[] = [];
  const soft = body.replace(/=\r?\n/g, "");
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === "=" && /^[0-9A-F]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(soft[i]));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function header(raw: string, name: string): string {
  const match = new RegExp(`^${name}: (.*(?:\\n[ \\t].*)*)`, "mi").exec(raw);
  return match ? match[1].replace(/\n[ \t]+/g, " ").trim() : "";
}

function part(raw: string, type: string): string {
  const start = raw.indexOf(`Content-Type: ${type}`);
  if (start < 0) return "";
  const section = raw.slice(start);
  const bodyStart = section.indexOf("\n\n") + 2;
  const end = section.indexOf("\n----", bodyStart);
  const body = section.slice(bodyStart, end < 0 ? undefined : end);
  return /Content-Transfer-Encoding: quoted-printable/i.test(section.slice(0, bodyStart))
    ? decodeQuotedPrintable(body)
    : body;
}

/** Parses an RFC 5322 message as nodemailer writes it (multipart/alternative, QP or 7bit). */
export function parseMail(raw: string): ReadMail {
  return {
    to: header(raw, "To"),
    subject: header(raw, "Subject"),
    messageId: header(raw, "Message-ID"),
    text: part(raw, "text/plain"),
    html: part(raw, "text/html"),
  };
}

/** Every `.eml` the file transport wrote into `dir`, oldest first. */
export async function readMailDir(dir: string): Promise<ReadMail[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".eml")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  names.sort();
  return await Promise.all(
    names.map(async (name) => parseMail(await Deno.readTextFile(join(dir, name)))),
  );
}

/** The token of the first link in a message's text. */
export function linkToken(mail: ReadMail): string {
  const match = /\?token=([A-Za-z0-9_-]{43})/.exec(mail.text);
  if (match === null) throw new Error(`no link token in: ${mail.text}`);
  return match[1];
}
