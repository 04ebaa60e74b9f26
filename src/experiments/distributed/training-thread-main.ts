/** The training thread's side of training-thread.ts: trains one run and posts its outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { InterruptedError } from '../../train/run.ts';
import { BitpointError } from '../../util/errors.ts';
import { runProcedure } from '../procedures.ts';
import { trainedOutcome } from '../runner.ts';
import type { TrainingMessage, TrainingTask } from './training-thread.ts';

const port = parentPort!;
const task = (workerData as { task: TrainingTask }).task;
const controller = new AbortController();
port.on('message', (message) => message === 'stop' && controller.abort());
const post = (message: TrainingMessage) => port.postMessage(message);

try {
  const result = await runProcedure(task.run, {
    outDir: task.runDir,
    resume: task.continueRun,
    log: (line) => post({ log: line }),
    signal: controller.signal,
    syntheticRoot: task.syntheticRoot,
  });
  post({ outcome: await trainedOutcome(result, task.runDir), seconds: result.duration_s });
} catch (error) {
  const kind = error instanceof InterruptedError ? 'interrupted' : error instanceof BitpointError ? 'user' : 'internal';
  post({ error: { message: (error as Error)?.message ?? String(error), stack: (error as Error)?.stack, kind } });
}
port.close();
