import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

/** One message ready to leave: the outbox has already put the link tokens in. */
export interface OutgoingMail {
  /** Stable per outbox row, so a message re-sent after a crash is recognisably the same one. */
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mail goes. Injected: SMTP in production, files by default, a recorder nowhere. */
export interface MailTransport {
  /** Resolves once the message is accepted; rejects with the reason otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer; `url` chooses TLS as its scheme says (`smtps://` for implicit TLS,
 * `smtp://` upgrades with STARTTLS when the server offers it).
 */
export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    send: async (mail) => {
      await transporter.sendMail(mail);
    },
    close: () => transporter.close(),
  };
}

/**
 * Writes each message as an `.eml` file in `dir` (links included), so the service runs with no
 * mail server and a person can open what would have been sent. File names sort in the order the
 * messages were written (time, then a counter: Message-IDs are random).
 */
export function fileTransport(dir: string): MailTransport {
  let written = 0;
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: "unix",
  });
  return {
    send: async (mail) => {
      const order = String(++written).padStart(8, "0");
      const { message } = await composer.sendMail(mail) as { message: Uint8Array };
      await mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, "-")}-${order}-${
        mail.messageId.replace(/[^\w.-]/g, "")
      }.eml`;
      await writeFile(join(dir, name), message);
    },
    close: () => {},
  };
}
