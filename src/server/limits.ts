// Every limit that keeps one client (or one unauthenticated socket, or one file) from taking the daemon down,
// in one place, each with the attack it answers. docs/daemon.md ("Limits") lists the same table; change both.
// Settings a user may tune (maxPayload, maxQueue, maxConnections, maxPixels…) live in config.ts; these are the
// fixed guards around them.

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = {
  // --- Before the WebSocket exists (src/server/connections.ts) -----------------------------------------
  /** A TCP connection must finish its HTTP upgrade request within this time (slowloris, idle sockets). */
  upgradeTimeoutMs: 5_000,
  /** Sockets still in their HTTP phase at once; the oldest is dropped for a new one (fd exhaustion). */
  maxPendingSockets: 64,

  // --- After the upgrade (src/server/connections.ts) ------------------------------------------------------
  /** An authenticated connection must send `initialize` within this time, or it is closed (1008). */
  initializeTimeoutMs: 10_000,
  /**
   * With every connection slot taken, a new client replaces the connection that has been quiet (no complete
   * message) the longest, if quiet for at least this long and without queued or running jobs (1013).
   * Answers idle or half-frame connections holding every slot.
   */
  evictQuietMs: 10_000,

  // --- Frames and replies (src/server/frames.ts, dispatcher.ts) ---------------------------------------------
  /** Text frames at least this big are parsed on the frame thread, not on the event loop. */
  offThreadFrameBytes: 256 * KiB,
  /** Requests in one batch frame (huge ping batches). */
  maxBatch: 64,
  /** Nesting depth of a message (deeply nested ids/params that overflow the stack when echoed). */
  maxJsonDepth: 32,
  /** Characters of a string request id. */
  maxIdLength: 256,
  /** Bytes of one frame's reply, all batch members together (RangeError: Invalid string length). */
  maxReplyBytes: 96 * MiB,
  /** File bytes result.read returns per frame, all batch members together. */
  maxReadBytesPerFrame: 64 * MiB,

  // --- Per client (src/server/session.ts) ----------------------------------------------------------------
  /** Frames of one client being parsed or handled at once; beyond it the daemon stops reading that socket. */
  maxFramesInFlight: 8,
  /** result.read file reads of one client at once; its others wait their turn (a batch of reads cannot flood the file system). */
  maxReadsInFlight: 4,
  /** Unsent reply bytes above which the daemon stops reading a client's requests until it reads its replies. */
  replyHighWaterBytes: 8 * MiB,
  /** Unsent bytes (replies and notifications) at which a client that does not read is disconnected. */
  maxUnreadBytes: 128 * MiB,
  /** A client holding more than replyHighWaterBytes unread that has not taken a message for this long is cut off. */
  stalledReaderMs: 30_000,
  /** result.read replies unsent or being read, all clients together (many clients that never read). */
  maxUnreadBytesTotal: 128 * MiB,
  /** Share of maxQueue one client may hold waiting (the queue also serves clients round-robin). */
  queueShare: 0.5,

  // --- Jobs and inputs (src/server/pool.ts, src/recon/decode.ts) -------------------------------------------
  /** After job.cancel, a worker still busy this long is terminated and replaced. */
  cancelGraceMs: 1_000,

  // --- Log (src/server/log.ts) --------------------------------------------------------------------------
  /** Lines per message text in a burst, then `logRatePerSec` a second; the rest are counted, not written. */
  logBurst: 50,
  logRatePerSec: 20,
  /** Characters of one logged field value (attacker-supplied headers; stack traces fit). */
  logFieldChars: 1000,
} as const;

/** Base64 text length of `bytes` bytes (what a result.read reply carries). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
