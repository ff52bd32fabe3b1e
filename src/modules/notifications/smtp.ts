import type { Socket } from "bun";

/** Where mail goes: `smtp://[user:pass@]host[:port]` (a relay, port 25 by default) or `smtps://…` (TLS, 465). */
export interface SmtpConfig {
  url: string;
  from: string;
  timeoutMs: number;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends one plain-text mail over SMTP (RFC 5321): EHLO, AUTH PLAIN when the URL has a user,
 * MAIL, RCPT, DATA. Resolves once the server accepted the message; throws with the server's answer
 * otherwise. No STARTTLS: a local relay over `smtp://`, or implicit TLS over `smtps://`.
 */
export async function sendMail(config: SmtpConfig, mail: Mail): Promise<void> {
  const url = new URL(config.url);
  const tls = url.protocol === "smtps:";
  const port = Number(url.port || (tls ? 465 : 25));
  const replies = new ReplyReader();
  const socket = await Bun.connect({
    hostname: url.hostname,
    port,
    tls,
    socket: {
      data: (_s, data) => replies.push(data),
      close: () => replies.close(),
      error: (_s, error) => replies.fail(error),
    },
  });
  const deadline = setTimeout(
    () => replies.fail(new Error(`SMTP: no answer within ${config.timeoutMs} ms`)),
    config.timeoutMs,
  );
  try {
    const step = async (command: string | null, expect: number) => {
      if (command !== null) socket.write(`${command}\r\n`);
      const reply = await replies.next();
      if (reply.code !== expect)
        throw new Error(`SMTP ${command?.split(" ")[0] ?? "greeting"}: ${reply.text}`);
    };
    await step(null, 220);
    await step("EHLO roost", 250);
    if (url.username) {
      const plain = Buffer.from(
        `\0${decodeURIComponent(url.username)}\0${decodeURIComponent(url.password)}`,
      ).toString("base64");
      await step(`AUTH PLAIN ${plain}`, 235);
    }
    await step(`MAIL FROM:<${config.from}>`, 250);
    await step(`RCPT TO:<${mail.to}>`, 250);
    await step("DATA", 354);
    await step(`${message(config.from, mail)}\r\n.`, 250);
    socket.write("QUIT\r\n");
  } finally {
    clearTimeout(deadline);
    (socket as Socket).end();
  }
}

/** The message: headers, a blank line, the body with lone dots doubled (RFC 5321 4.5.2). */
function message(from: string, mail: Mail): string {
  const subject = /^[\x20-\x7e]*$/.test(mail.subject)
    ? mail.subject
    : `=?UTF-8?B?${Buffer.from(mail.subject).toString("base64")}?=`;
  const headers = [
    `From: ${from}`,
    `To: ${mail.to}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${crypto.randomUUID()}@roost>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  const body = mail.text.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

/** SMTP replies as they arrive: a reply ends at the line whose code is followed by a space. */
class ReplyReader {
  private buffer = "";
  private waiting: Array<{ resolve(r: { code: number; text: string }): void; reject(e: Error): void }> = [];
  private ready: Array<{ code: number; text: string }> = [];
  private failed: Error | null = null;

  push(data: Uint8Array): void {
    this.buffer += new TextDecoder().decode(data);
    for (;;) {
      const end = this.lastLineEnd();
      if (end < 0) return;
      const text = this.buffer.slice(0, end).trimEnd();
      this.buffer = this.buffer.slice(end);
      const reply = { code: Number(text.split("\n").at(-1)?.slice(0, 3)), text };
      const next = this.waiting.shift();
      if (next) next.resolve(reply);
      else this.ready.push(reply);
    }
  }

  /** The end of the first complete reply in the buffer, or -1. */
  private lastLineEnd(): number {
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf("\n", start);
      if (nl < 0) return -1;
      if (this.buffer[start + 3] !== "-") return nl + 1;
      start = nl + 1;
    }
  }

  next(): Promise<{ code: number; text: string }> {
    const ready = this.ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  fail(error: Error): void {
    this.failed = error;
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  close(): void {
    this.fail(new Error("SMTP: the server closed the connection"));
  }
}
