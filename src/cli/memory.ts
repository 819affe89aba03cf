/**
 * Caps V8's young generation for a fleet run (`run`, `put`, `get`, `ping` call it just before they
 * start connecting).
 *
 * A fleet run allocates many short-lived buffers (packets of 64 connections at a time); with Node's
 * default semi-space (16 MiB, grown on demand) the young generation alone would take tens of MiB of
 * RSS, and V8's default heap growth favours speed over footprint. 1 MiB semi-spaces and
 * --optimize-for-size keep the whole process near 75 MiB at 500 hosts (about 90 without), for a few
 * more collections. Not before: set at start, they cost the command's start two footprint-reducing
 * full collections and more scavenges while it loads its modules (~15 ms before the first connection).
 * `NODE_OPTIONS=--max-semi-space-size=N` still wins (the flags are only set when it is not given).
 */
import v8 from "node:v8";
import { flushCompileCache } from "./compile-cache.js";

let capped = false;

export function capYoungGeneration(): void {
  if (capped) return;
  capped = true;
  if (/--max-semi-space-size/.test(`${process.env["NODE_OPTIONS"] ?? ""} ${process.execArgv.join(" ")}`)) return;
  // V8 keeps compiled code only for the flags it was made under: the cache is written before they change.
  flushCompileCache();
  v8.setFlagsFromString("--max-semi-space-size=1");
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  v8.setFlagsFromString("--optimize-for-size");
}
