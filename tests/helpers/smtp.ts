import { SMTPServer } from "smtp-server";
import { parseMail, type ReadMail } from "./mail.ts";

/** A real SMTP server on 127.0.0.1 that keeps what it receives. */
export interface TestSmtp {
  port: number;
  received: (ReadMail & { envelopeTo: string[] })[];
  stop(): Promise<void>;
}

/** Starts `smtp-server` on `port` (0: any free one), accepting every message without auth. */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const received: TestSmtp["received"] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = new TextDecoder().decode(
          new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
        ).replace(/\r\n/g, "\n");
        received.push({
          ...parseMail(raw),
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.server.address() as { port: number };
  return {
    port: address.port,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
