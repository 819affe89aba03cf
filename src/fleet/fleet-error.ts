/** The fleet's failures, each with its kind (what the summary and the exit status go by). */
import type { ErrorKind } from "./events.js";

/** A failure with the fleet's error kind; `phase` says where it happened. */
export class FleetError extends Error {
  override name = "FleetError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly phase: "connect" | "banner" | "kex" | "auth" | "command" | "transfer",
    /** The short reason to group hosts by in summaries, when the message is too specific for that. */
    readonly reason?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
