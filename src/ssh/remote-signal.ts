/**
 * Sends a signal request (`"TERM"`, `"KILL"`…) on an ssh2 session channel, also after our EOF.
 *
 * ssh2's `channel.signal()` sends nothing once its side is no longer writable, which is at once
 * for a command run without input (its stdin is closed to start with). The protocol allows the
 * request then, and sshd honours it: a command whose stdin is closed must still be killable.
 */
import type { ClientChannel } from "ssh2";

export function sendSignal(channel: ClientChannel, name: string): void {
  const stream = channel as ClientChannel & {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, name: string): void } };
  };
  const protocol = stream._client?._protocol;
  if (stream.outgoing && protocol && (stream.outgoing.state === "open" || stream.outgoing.state === "eof")) {
    protocol.signal(stream.outgoing.id, name.replace(/^SIG/, ""));
  } else {
    stream.signal(name);
  }
}
