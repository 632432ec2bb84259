/**
 * The client → server message protocol, JSON text:
 * - `{ "type": "command", "name": "...", "id"?: string|number, ... }` (operators only); replies are
 *   `{ type: 'ack', id, name, result? }` or `{ type: 'error', id, code, message }`;
 * - `{ "type": "view", ... }` (any role): what this client wants to see (channels, window, width);
 *   checked by the view handler, answered only when wrong (`{ type: 'error', code: 'bad-message' }`).
 */
import type { DashboardRole } from './access-tokens.js';

/** Commands only an operator may send. */
export const OPERATOR_COMMANDS = ['start-recording', 'stop-recording', 'add-marker', 'recalibrate', 'measure-impedance'] as const;
export type DashboardCommandName = (typeof OPERATOR_COMMANDS)[number];

export interface DashboardCommand {
  readonly type: 'command';
  readonly name: DashboardCommandName;
  readonly id?: string | number;
  /** Any further fields the client sent (e.g. `value` for add-marker). */
  readonly [field: string]: unknown;
}

export type DashboardErrorCode =
  | 'bad-message'
  | 'unknown-command'
  | 'forbidden'
  | 'unavailable'
  | 'command-failed';

export interface DashboardAck {
  type: 'ack';
  id: string | number | null;
  name: DashboardCommandName;
  result?: unknown;
}

export interface DashboardError {
  type: 'error';
  id: string | number | null;
  code: DashboardErrorCode;
  message: string;
}

/** A client's view request (fields checked by whoever handles views). */
export interface DashboardViewRequest {
  readonly type: 'view';
  readonly [field: string]: unknown;
}

export type ParsedMessage =
  | { ok: true; command: DashboardCommand; view?: undefined }
  | { ok: true; view: DashboardViewRequest; command?: undefined }
  | { ok: false; reply: DashboardError };

export function errorReply(id: string | number | null, code: DashboardErrorCode, message: string): DashboardError {
  return { type: 'error', id, code, message };
}

/** Parses and checks one text message from a client with the given role. */
export function parseCommandMessage(text: string, role: DashboardRole): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reply: errorReply(null, 'bad-message', 'message is not valid JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reply: errorReply(null, 'bad-message', 'message must be a JSON object') };
  }
  const message = value as Record<string, unknown>;
  const rawId = message['id'];
  const id = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? rawId : null;
  if (rawId !== undefined && id === null) {
    return { ok: false, reply: errorReply(null, 'bad-message', 'id must be a string or a finite number') };
  }
  if (message['type'] === 'view') return { ok: true, view: message as DashboardViewRequest };
  if (message['type'] !== 'command') {
    return { ok: false, reply: errorReply(id, 'bad-message', 'type must be "command" or "view"') };
  }
  const name = message['name'];
  if (typeof name !== 'string') {
    return { ok: false, reply: errorReply(id, 'bad-message', 'name must be a string') };
  }
  if (!(OPERATOR_COMMANDS as readonly string[]).includes(name)) {
    return {
      ok: false,
      reply: errorReply(id, 'unknown-command', `unknown command ${JSON.stringify(name.slice(0, 60))}`),
    };
  }
  if (role !== 'operator') {
    return { ok: false, reply: errorReply(id, 'forbidden', `${name} needs the operator token; this client is a ${role}`) };
  }
  return { ok: true, command: message as DashboardCommand };
}
