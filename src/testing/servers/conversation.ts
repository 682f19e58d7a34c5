// A line-protocol conversation for tests (SMTP, IMAP, POP3, NNTP, FTP): read until a pattern, send a
// command, switch to TLS on the same socket (STARTTLS). TLS verifies against the test CA (testCaTrust():
// the default trust under scripts/run.mjs). Every wait is bounded.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { testCaTrust } from '../test-ca.js';

const WAIT_MS = 10_000;

/** a line-protocol conversation over TCP that can switch to TLS (STARTTLS) */
export class Conversation {
  private buf = '';
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private constructor(private sock: Socket | TLSSocket) {
    this.attach(sock);
  }

  private attach(s: Socket | TLSSocket): void {
    this.sock = s;
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      this.buf += d;
      this.wake?.();
    });
    s.on('error', (e) => {
      this.failure = e;
      this.wake?.();
    });
  }

  static open(port: number, tls = false): Promise<Conversation> {
    return new Promise((resolve, reject) => {
      const s = tls ? tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...testCaTrust() }) : netConnect(port, '127.0.0.1');
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${port}: timeout`));
      }, WAIT_MS);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(t);
        resolve(new Conversation(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  /** the text up to and including the first match of `re` */
  read(re: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        reject(new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.buf)}`));
      }, WAIT_MS);
      this.wake = () => {
        if (this.failure) {
          clearTimeout(t);
          this.wake = undefined;
          reject(this.failure);
          return;
        }
        const m = re.exec(this.buf);
        if (!m) return;
        clearTimeout(t);
        this.wake = undefined;
        const out = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        resolve(out);
      };
      this.wake();
    });
  }

  cmd(line: string, re: RegExp): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.read(re);
  }

  /** STARTTLS: TLS on the same socket; resolves with the verified peer's TLS version */
  upgrade(servername = 'localhost'): Promise<string> {
    return new Promise((resolve, reject) => {
      this.sock.removeAllListeners('data');
      const s = tlsConnect({ socket: this.sock, servername, ...testCaTrust() }, () => {
        this.attach(s);
        resolve(s.getProtocol() ?? '');
      });
      s.once('error', reject);
    });
  }

  get authorized(): boolean {
    return (this.sock as TLSSocket).authorized === true;
  }

  end(): void {
    this.sock.destroy();
  }
}
