/**
 * Bounds on what an inbound message may cost. A message over MAX_MESSAGE_BYTES
 * is refused at the door (SMTP 552, HTTP 413: the sender keeps it and is told);
 * anything else that breaks a bound is quarantined with the reason.
 */
export interface EmailLimits {
  /** The whole raw message (SMTP SIZE, HTTP body limit). */
  maxMessageBytes: number;
  /** MIME parts in the whole message, the root included. */
  maxParts: number;
  /** Nesting of multipart containers and embedded messages. */
  maxDepth: number;
  /** One header block (the message's or a part's), folded lines included. */
  maxHeaderBytes: number;
  /** Wall time the MIME parser may take (it runs in a worker thread that is ended when late). */
  parseTimeoutMs: number;
  /** Heap of the parser's worker thread. */
  parserHeapMb: number;
  /** One attachment kept in the database; a bigger one is listed as omitted (the raw message keeps it). */
  maxAttachmentBytes: number;
  /** HTML kept (sanitised) per message; a longer body keeps its text only. */
  maxHtmlChars: number;
}

export const DEFAULT_LIMITS: EmailLimits = {
  maxMessageBytes: 25 * 1024 * 1024,
  maxParts: 500,
  maxDepth: 20,
  maxHeaderBytes: 256 * 1024,
  parseTimeoutMs: 15_000,
  parserHeapMb: 512,
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxHtmlChars: 2 * 1024 * 1024,
};

/** Longest text a follow-up body and a case description may hold (the cases module's limits). */
export const MAX_FOLLOW_UP_BODY = 1_000_000;
export const MAX_CASE_DESCRIPTION = 100_000;
export const MAX_SUBJECT = 500;
