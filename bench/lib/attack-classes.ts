/**
 * The attack classes of the "honest client under attack" measurement: shared by the
 * harness (bench/lib/attack.ts) and the hostile clients' process (bench/attacker.ts).
 */
export const ATTACK_CLASSES = ['unauthenticated', 'cost', 'csrf', 'subscriptions', 'selectors'] as const;
export type AttackClass = (typeof ATTACK_CLASSES)[number];

/** What one attacker process sent and how the gateway answered it. */
export interface AttackSummary {
  class: AttackClass;
  /** Requests sent (subscriptions: subscribe messages). */
  sent: number;
  /** Answers by `<HTTP status> <extensions.code>` (`ok` for an answer with data; `ws ...` on the WebSocket). */
  outcomes: Record<string, number>;
  /** Requests that got no answer (connection errors, or aborted when the attack stopped). */
  unanswered: number;
  /** Bytes of request bodies and URLs sent. */
  bytesSent: number;
  elapsedMs: number;
  /** CPU time of the attacker process (user + system) over `elapsedMs`, module loading excluded. */
  cpuMs: number;
  /** What ended it: its count bound, its time bound, or the harness (SIGTERM) once the honest client was done. */
  endedBy: 'count' | 'time' | 'stopped';
  /** subscriptions: events the gateway pushed to the accepted ones. */
  eventsReceived?: number;
  note?: string;
}
