/**
 * Runs one compiled example of the lesson (dist/examples/LAYER/NAME.js) as its own program, as a
 * user would, and gives back what it printed and how it ended. A run that outlives 30 s is killed,
 * so a hanging example fails its test instead of stalling the suite.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ExampleRun {
  stdout: string;
  code: number | null;
}

export async function runExample(layer: string, name: string, env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  const file = fileURLToPath(new URL(`../../examples/${layer}/${name}.js`, import.meta.url));
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  return { stdout, code };
}
