/**
 * Fault injection: what a flaky network and an overloaded API server do to a client,
 * on demand. Set over `POST /simulator/faults` (JSON) or through `Simulator.faults`.
 */
import type { ApiVerb } from './metrics.js';
import { REVIEWS, type ReviewResource } from './rbac/reviews.js';
import { RESOURCES, type ResourceName } from './types.js';

/**
 * What latency and errors can be restricted to: the stored resources, the review APIs
 * (TokenReview...), container logs and the metrics API (named as the simulator counts them).
 */
export type FaultResource = ResourceName | ReviewResource | ServedElsewhere;

/** Served beside the stored kinds: pods/log (pod-logs.ts) and metrics.k8s.io (metrics-api.ts). */
export type ServedElsewhere = 'pods/log' | 'nodes.metrics.k8s.io' | 'pods.metrics.k8s.io';
const SERVED_ELSEWHERE: ServedElsewhere[] = ['pods/log', 'nodes.metrics.k8s.io', 'pods.metrics.k8s.io'];

export interface FaultSettings {
  /** Added to every API request before it is answered, in milliseconds. */
  latencyMs: number;
  /** Fraction (0..1) of API requests answered with `errorCode` instead. */
  errorRate: number;
  /** The injected error: 500 InternalError, 503 ServiceUnavailable or 429 TooManyRequests. */
  errorCode: 500 | 503 | 429;
  /** Retry-After sent with 429, in seconds. */
  retryAfterSeconds: number;
  /** Restrict errors and latency to these verbs (all when empty). */
  verbs: ApiVerb[];
  /** Restrict errors and latency to these resources (all when empty), `tokenreviews` and the other reviews included. */
  resources: FaultResource[];
}

/** One-shot actions that can be sent with the settings in the same request. */
export interface FaultActions {
  /** Drop every open watch: 'reset' destroys the connection, 'end' ends the stream cleanly. */
  dropWatches?: boolean | 'reset' | 'end';
  /** Close the listening socket and every connection for this many seconds (API server down). */
  refuseConnectionsSeconds?: number;
  /** Drop the event history, so the next watch resume from an older resourceVersion gets 410. */
  compact?: boolean;
  /** Back to no faults at all. */
  reset?: boolean;
  /**
   * Destroy the connection of each of the next N API requests (of `verbs` and `resources`)
   * as it arrives, before any answer: a server that closed a kept-alive connection just as
   * the request came in on it.
   */
  resetNextRequests?: number;
}

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  errorRate: 0,
  errorCode: 500,
  retryAfterSeconds: 1,
  verbs: [],
  resources: [],
};

const VERBS: ApiVerb[] = ['LIST', 'GET', 'WATCH', 'CREATE', 'UPDATE', 'PATCH', 'DELETE'];
const RESOURCE_NAMES: FaultResource[] = [
  ...(Object.keys(RESOURCES) as ResourceName[]),
  ...REVIEWS.map((r) => r.resource),
  ...SERVED_ELSEWHERE,
];

export class FaultInputError extends Error {}

/**
 * Validates a fault request body. Unknown keys and wrong types are rejected with a
 * message that names the key, what was expected and what came.
 */
export function parseFaultRequest(
  body: unknown,
  current: FaultSettings,
): { settings: FaultSettings; actions: FaultActions } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new FaultInputError(`expected a JSON object, received ${JSON.stringify(body)}`);
  }
  const input = body as Record<string, unknown>;
  const settings: FaultSettings = input.reset === true ? { ...NO_FAULTS } : { ...current };
  const actions: FaultActions = {};
  const number = (key: string, min: number, max: number): number => {
    const value = input[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new FaultInputError(
        `${key}: expected a number from ${min} to ${max}, received ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  for (const key of Object.keys(input)) {
    switch (key) {
      case 'latencyMs':
        settings.latencyMs = number(key, 0, 60_000);
        break;
      case 'errorRate':
        settings.errorRate = number(key, 0, 1);
        break;
      case 'errorCode': {
        const code = input[key];
        if (code !== 500 && code !== 503 && code !== 429) {
          throw new FaultInputError(`errorCode: expected 500, 503 or 429, received ${JSON.stringify(code)}`);
        }
        settings.errorCode = code;
        break;
      }
      case 'retryAfterSeconds':
        settings.retryAfterSeconds = number(key, 0, 3600);
        break;
      case 'verbs':
        settings.verbs = stringList(input[key], key, VERBS);
        break;
      case 'resources':
        settings.resources = stringList(input[key], key, RESOURCE_NAMES);
        break;
      case 'dropWatches': {
        const value = input[key];
        if (value !== true && value !== false && value !== 'reset' && value !== 'end') {
          throw new FaultInputError(
            `dropWatches: expected true, "reset" or "end", received ${JSON.stringify(value)}`,
          );
        }
        actions.dropWatches = value;
        break;
      }
      case 'refuseConnectionsSeconds':
        actions.refuseConnectionsSeconds = number(key, 0, 600);
        break;
      case 'resetNextRequests':
        actions.resetNextRequests = Math.floor(number(key, 0, 1000));
        break;
      case 'compact':
      case 'reset':
        if (typeof input[key] !== 'boolean') {
          throw new FaultInputError(`${key}: expected true or false, received ${JSON.stringify(input[key])}`);
        }
        actions[key] = input[key] as boolean;
        break;
      default:
        throw new FaultInputError(
          `unknown key "${key}": expected latencyMs, errorRate, errorCode, retryAfterSeconds, verbs, resources, dropWatches, refuseConnectionsSeconds, resetNextRequests, compact or reset`,
        );
    }
  }
  return { settings, actions };
}

function stringList<T extends string>(value: unknown, key: string, allowed: T[]): T[] {
  if (!Array.isArray(value) || !value.every((v) => allowed.includes(v as T))) {
    throw new FaultInputError(
      `${key}: expected a list of ${allowed.join(', ')}, received ${JSON.stringify(value)}`,
    );
  }
  return value as T[];
}

/** Whether a request of this verb and resource is subject to the injected latency and errors. */
export function faultApplies(settings: FaultSettings, verb: ApiVerb, resource: FaultResource): boolean {
  return (
    (settings.verbs.length === 0 || settings.verbs.includes(verb)) &&
    (settings.resources.length === 0 || settings.resources.includes(resource))
  );
}
