import WebSocket from 'ws';

/**
 * One logical feed over a series of WebSocket connections: connect, subscribe, watch for
 * staleness (no frame for stale_ms -> the socket is dropped), reconnect with exponential backoff
 * and full jitter, resubscribe. Frames are stamped with the receive clock the moment they arrive;
 * nothing else happens on that path. pause()/resume() stop reading the socket (TCP backpressure)
 * while the writer catches up; a paused feed is not stale.
 */

/** Receive clock in epoch microseconds: Date.now() anchored once, advanced by the monotonic hrtime, strictly increasing. */
export interface ReceiveClock {
  nowUs(): number;
}

export function monotonicClock(): ReceiveClock {
  const anchor = BigInt(Date.now()) * 1000n - process.hrtime.bigint() / 1000n;
  let last = 0;
  return {
    nowUs(): number {
      let t = Number(anchor + process.hrtime.bigint() / 1000n);
      if (t <= last) t = last + 1;
      last = t;
      return t;
    },
  };
}

export interface FeedEvents {
  onOpen(conn: number): void;
  onFrame(text: string, recvUs: number, conn: number): void;
  /** a connection ended; reason: closed by peer, error, stale, resync, stopped */
  onClose(conn: number, reason: string, recvUs: number): void;
}

export interface FeedConfig {
  url: string;
  subscribe: () => Array<Record<string, unknown>>;
  stale_ms: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  /** handshake timeout */
  connect_timeout_ms: number;
}

export class WsFeed {
  private ws: WebSocket | null = null;
  private conn = 0;
  private lastFrameAt = 0;
  private paused = false;
  private stopped = false;
  private closeReason: string | null = null;
  private wake: (() => void) | null = null;
  /** connections opened (the first included) */
  connects = 0;
  /** the last socket error (e.g. "connect ECONNREFUSED 127.0.0.1:9"), for the message when nothing connects */
  lastError: string | null = null;
  /** attempts that failed before a frame arrived */
  failedAttempts = 0;

  constructor(
    private readonly cfg: FeedConfig,
    private readonly ev: FeedEvents,
    private readonly clock: ReceiveClock,
  ) {}

  /** Runs until stop(); resolves once the last socket is closed. */
  async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const gotFrames = await this.once();
      if (this.stopped) break;
      attempt = gotFrames ? 0 : attempt + 1;
      if (!gotFrames) this.failedAttempts++;
      const cap = Math.min(this.cfg.backoff_max_ms, this.cfg.backoff_base_ms * 2 ** Math.min(attempt, 16));
      await this.sleep(attempt === 0 ? this.cfg.backoff_base_ms * Math.random() : cap * Math.random());
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One connection; true when at least one frame arrived. */
  private once(): Promise<boolean> {
    return new Promise((resolve) => {
      const id = ++this.conn;
      let frames = 0;
      this.closeReason = null;
      const ws = new WebSocket(this.cfg.url, { handshakeTimeout: this.cfg.connect_timeout_ms, perMessageDeflate: false });
      this.ws = ws;
      const timer = setInterval(
        () => {
          if (!this.paused && ws.readyState === WebSocket.OPEN && Date.now() - this.lastFrameAt > this.cfg.stale_ms) {
            this.drop('stale');
          }
        },
        Math.max(50, Math.min(1000, this.cfg.stale_ms / 4)),
      );
      ws.on('open', () => {
        this.connects++;
        this.lastFrameAt = Date.now();
        if (this.paused) ws.pause();
        this.ev.onOpen(id);
        for (const m of this.cfg.subscribe()) ws.send(JSON.stringify(m));
      });
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        const recv = this.clock.nowUs();
        this.lastFrameAt = Date.now();
        frames++;
        const text = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
        this.ev.onFrame(text, recv, id);
      });
      ws.on('error', (err: Error) => {
        this.lastError = err.message;
        if (this.closeReason === null) this.closeReason = 'error';
      });
      ws.on('close', () => {
        clearInterval(timer);
        if (this.ws === ws) this.ws = null;
        this.ev.onClose(id, this.stopped ? 'stopped' : (this.closeReason ?? 'closed by peer'), this.clock.nowUs());
        resolve(frames > 0);
      });
    });
  }

  /** Drops the current connection (it is renewed unless stopped). */
  drop(reason: string): void {
    if (this.closeReason === null) this.closeReason = reason;
    this.ws?.terminate();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.ws?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastFrameAt = Date.now();
    this.ws?.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    if (this.ws) {
      this.closeReason = 'stopped';
      this.ws.terminate();
    }
  }
}
