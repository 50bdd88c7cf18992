import { spawn, type ChildProcess } from "node:child_process";
import { freePort, requireBinary } from "./engines";

export type RedisServer = {
  url: string;
  port: number;
  /** kill -9: the outage a test of the fallback needs. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

/** A real redis-server on a free loopback port, nothing persisted; stop() ends it. */
export async function startRedis(): Promise<RedisServer> {
  const bin = requireBinary("redis-server", "redis-server", ["/usr/bin/redis-server"]);
  const port = await freePort();
  let child: ChildProcess = await launch(bin, port);
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    async restart() {
      await kill();
      child = await launch(bin, port);
    },
    stop: kill,
  };
}

async function launch(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill("SIGKILL"), reject(new Error(`redis-server did not start within 20 s:\n${output}`))),
      20_000,
    );
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.removeAllListeners("data");
  child.stderr!.removeAllListeners("data");
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}
