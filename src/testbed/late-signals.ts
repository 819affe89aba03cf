/**
 * Signal requests after the client's EOF. ssh2's server marks a session as ending when the client
 * sends EOF and refuses every request after it, `signal` included. But EOF only ends the command's
 * input: a client with nothing to send ends it first thing (shoal's fleet without --stdin, `ssh
 * -n`), and its Ctrl-C, cancel or timeout would then leave the command running on the testbed.
 * sshd takes the signal then, so the testbed does too. This reaches into ssh2's connection object;
 * if its internals differ, nothing is changed (and such signals are lost, as before).
 */
import type { EventEmitter } from "node:events";
import type { Connection } from "ssh2";

type ChannelRequestHandler = (protocol: unknown, recipient: number, type: string, wantReply: boolean, data: unknown) => void;

interface ConnectionInternals {
  _protocol?: {
    _handlers?: { CHANNEL_REQUEST?: ChannelRequestHandler };
    channelSuccess?: (id: number) => void;
    channelFailure?: (id: number) => void;
  };
  _chanMgr?: { get?: (id: number) => unknown };
}

/** ssh2's server-side Session, as far as this needs it. */
interface SessionInternals extends EventEmitter {
  _ending: boolean;
  _channel: { incoming: { state: string }; outgoing: { state: string } };
  _chanInfo: { outgoing: { id: number } };
}

/** Hands `signal` requests that ssh2 would refuse after the client's EOF to the session's `signal` listeners. */
export function acceptSignalsAfterEof(connection: Connection): void {
  const internals = connection as unknown as ConnectionInternals;
  const protocol = internals._protocol;
  const handlers = protocol?._handlers;
  const original = handlers?.CHANNEL_REQUEST;
  const channels = internals._chanMgr;
  if (!protocol || !handlers || typeof original !== "function" || typeof channels?.get !== "function") return;
  if (typeof protocol.channelSuccess !== "function" || typeof protocol.channelFailure !== "function") return;
  const get = channels.get.bind(channels);
  const success = protocol.channelSuccess.bind(protocol);
  const failure = protocol.channelFailure.bind(protocol);
  handlers.CHANNEL_REQUEST = (p, recipient, type, wantReply, data) => {
    const session = type === "signal" && typeof data === "string" ? get(recipient) : undefined;
    if (!isStartedAfterEof(session)) return original(p, recipient, type, wantReply, data);
    let replied = false;
    const reply = (send: (id: number) => void) => () => {
      if (!wantReply || replied || session._channel.outgoing.state === "closed") return;
      replied = true;
      send(session._chanInfo.outgoing.id);
    };
    session.emit("signal", reply(success), reply(failure), { name: data });
  };
}

/** A session whose command or shell has started and whose client has sent EOF, but not closed it. */
function isStartedAfterEof(session: unknown): session is SessionInternals {
  if (typeof session !== "object" || session === null) return false;
  const s = session as Partial<SessionInternals>;
  return (
    s._ending === true &&
    typeof s.emit === "function" &&
    typeof s.listenerCount === "function" &&
    s.listenerCount("signal") > 0 &&
    s._channel?.incoming?.state === "eof" &&
    typeof s._channel.outgoing?.state === "string" &&
    typeof s._chanInfo?.outgoing?.id === "number"
  );
}
