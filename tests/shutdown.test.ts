import { describe, expect, test } from "bun:test";
import { createLogger } from "../src/lib/log";
import { SHUTDOWN_ORDER, type ShutdownSteps, shutDown } from "../src/shutdown";

/** Steps that record when each starts and ends, each taking a few ms; `failing` throws. */
function recorder(failing?: keyof ShutdownSteps) {
  const log: string[] = [];
  const step = (name: keyof ShutdownSteps) => async () => {
    log.push(`start ${name}`);
    await Bun.sleep(5);
    log.push(`end ${name}`);
    if (name === failing) throw new Error(`${name} broke`);
  };
  const steps = Object.fromEntries(
    SHUTDOWN_ORDER.map((name) => [name, step(name)]),
  ) as unknown as ShutdownSteps;
  return { log, steps };
}

describe("shutdown", () => {
  test("stop accepting, drain the write queue, stop the jobs, flush last_used, close the store: each after the last ends", async () => {
    const { log, steps } = recorder();
    expect(await shutDown(steps, createLogger("silent"))).toBe(true);
    expect(log).toEqual(
      ["stopAccepting", "drainWrites", "stopJobs", "flushLastUsed", "closeStore"].flatMap((name) => [
        `start ${name}`,
        `end ${name}`,
      ]),
    );
  });

  test("a failing step is reported, and the steps after it still run: the store is closed", async () => {
    const { log, steps } = recorder("drainWrites");
    expect(await shutDown(steps, createLogger("silent"))).toBe(false);
    expect(log.at(-1)).toBe("end closeStore");
    expect(log.filter((line) => line.startsWith("start"))).toHaveLength(5);
  });
});
