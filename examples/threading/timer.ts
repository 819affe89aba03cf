/**
 * Timer: "hello, world" after 30 seconds (the lesson's `Timer(30.0, hello)`).
 * Run: node dist/examples/threading/timer.js
 */
import { Timer } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

function hello(): void {
  console.log("hello, world");
}

const t = new Timer(seconds(30), hello);
t.start(); // after 30 seconds, "hello, world" will be printed
