/**
 * Authentication as kube-apiserver does it with `--token-auth-file` (static bearer tokens)
 * and anonymous requests allowed (its default):
 *
 * - `Authorization: Bearer <token>`: a known token is its user, with `system:authenticated`
 *   added (the AuthenticatedGroupAdder); an unknown one is 401 Unauthorized.
 * - no bearer token at all (no header, another scheme, an empty token): `system:anonymous`
 *   in `system:unauthenticated`, for the RBAC authoriser to allow what the default bindings
 *   allow it (/healthz, /version...); with anonymous auth off, 401.
 *
 * Tokens are looked up by their SHA-256, so the lookup is one map access and takes the same
 * time whatever the token's bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS, type UserInfo } from './types.js';

/** A user of the simulator and the bearer token that is them. */
export interface SimUser {
  token: string;
  /** The username, as RBAC subjects of kind User name it. */
  user: string;
  uid?: string;
  /** Groups besides `system:authenticated`, which every authenticated user gets. */
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Authentication =
  | { kind: 'user'; user: UserInfo }
  | { kind: 'anonymous'; user: UserInfo }
  | { kind: 'unauthorized' };

const digest = (token: string) => createHash('sha256').update(token).digest('base64');

/** group.AuthenticatedGroupAdder: system:authenticated, unless the user already says where it belongs. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.name === ANONYMOUS) return user;
  if (user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}

export const ANONYMOUS_USER: UserInfo = { name: ANONYMOUS, groups: [ALL_UNAUTHENTICATED] };

/**
 * The bearer token of an Authorization header as bearertoken.Authenticator reads it:
 * trimmed, split on single spaces, scheme `bearer` in any case; undefined when there is none.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(' ');
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

export class TokenAuthenticator {
  private readonly users = new Map<string, UserInfo>();

  constructor(
    users: SimUser[] = [],
    private readonly anonymous = true,
  ) {
    for (const user of users) this.add(user);
  }

  /** Adds (or replaces) the user a token stands for. */
  add(user: SimUser): void {
    if (!user.token) throw new Error('a user needs a non-empty token');
    this.users.set(
      digest(user.token),
      withAuthenticatedGroup({
        name: user.user,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: [...(user.groups ?? [])],
        ...(user.extra ? { extra: user.extra } : {}),
      }),
    );
  }

  /** Forgets a token; true when it was known. Requests with it get 401 from now on. */
  remove(token: string): boolean {
    return this.users.delete(digest(token));
  }

  /** The user a token stands for, system:authenticated included; undefined when unknown. */
  lookup(token: string): UserInfo | undefined {
    return this.users.get(digest(token));
  }

  authenticate(header: string | undefined): Authentication {
    const token = bearerToken(header);
    if (token === undefined) {
      return this.anonymous ? { kind: 'anonymous', user: ANONYMOUS_USER } : { kind: 'unauthorized' };
    }
    const user = this.lookup(token);
    return user ? { kind: 'user', user } : { kind: 'unauthorized' };
  }
}

export class TokenFileError extends Error {}

/**
 * A static token file as kube-apiserver's `--token-auth-file` reads it
 * (authenticator/token/tokenfile): CSV (encoding/csv: quoted fields, `""` escapes) of
 * `token,user,uid[,"group1,group2"]`, at least three columns per record; a record with an
 * empty token is skipped, a later duplicate token wins.
 */
export function parseTokenFile(text: string, path = 'token file'): SimUser[] {
  const byToken = new Map<string, SimUser>();
  for (const record of parseCsv(text, path)) {
    if (record.length < 3) {
      throw new TokenFileError(
        `token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`,
      );
    }
    const [token, user, uid, groups] = record;
    if (token === '') continue;
    byToken.delete(token);
    byToken.set(token, {
      token,
      user,
      ...(uid ? { uid } : {}),
      ...(record.length >= 4 ? { groups: groups.split(',') } : {}),
    });
  }
  return [...byToken.values()];
}

export function readTokenFile(path: string): SimUser[] {
  return parseTokenFile(readFileSync(path, 'utf8'), path);
}

/** encoding/csv with FieldsPerRecord = -1: blank lines skipped, `\r\n` accepted, quotes per RFC 4180. */
function parseCsv(text: string, path: string): string[][] {
  const records: string[][] = [];
  let line = 1;
  let i = 0;
  const fail = (column: number, what: string): never => {
    throw new TokenFileError(`${path}: parse error on line ${line}, column ${column}: ${what}`);
  };
  while (i < text.length) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line += 1;
      continue;
    }
    const record: string[] = [];
    let lineStart = i;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= text.length) fail(i - lineStart + 1, 'extraneous or missing " in quoted-field');
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          if (text[i] === '\n') {
            line += 1;
            lineStart = i + 1;
          }
          field += text[i];
          i += 1;
        }
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          fail(i - lineStart + 1, 'extraneous or missing " in quoted-field');
        }
      } else {
        while (
          i < text.length &&
          text[i] !== ',' &&
          text[i] !== '\n' &&
          !(text[i] === '\r' && text[i + 1] === '\n')
        ) {
          if (text[i] === '"') fail(i - lineStart + 1, 'bare " in non-quoted-field');
          field += text[i];
          i += 1;
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      break;
    }
    records.push(record);
  }
  return records;
}
