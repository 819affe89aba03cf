/**
 * Imported first by the `shoal` entry point: caps V8's young generation before the rest loads.
 *
 * A fleet run allocates many short-lived buffers (packets of 64 connections at a time); with Node's
 * default semi-space (16 MiB, grown on demand) the young generation alone would take tens of MiB of
 * RSS, and V8's default heap growth favours speed over footprint. 1 MiB semi-spaces and
 * --optimize-for-size keep the whole process near 75 MiB at 500 hosts (about 90 without), for a few
 * more collections.
 * `NODE_OPTIONS=--max-semi-space-size=N` still wins (the flag is only set when not given).
 */
import v8 from "node:v8";

if (!/--max-semi-space-size/.test(`${process.env["NODE_OPTIONS"] ?? ""} ${process.execArgv.join(" ")}`)) {
  v8.setFlagsFromString("--max-semi-space-size=1");
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  v8.setFlagsFromString("--optimize-for-size");
}
