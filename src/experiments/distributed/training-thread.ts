/**
 * A worker's run, trained in a thread of its own. The worker's main thread must renew the run's
 * lock in Redis every few seconds; a training step (or the evaluation at the end) can hold a
 * thread for longer than that, and a lock that lapses makes the queue hand the run to another
 * worker while this one still trains it. So the main thread only talks to Redis, and this thread
 * trains. Killing the process (kill -9) ends the thread with it.
 *
 *   const { outcome } = await trainInThread({ run, runDir, continueRun }, log, signal);
 */
import { Worker } from 'node:worker_threads';
import type { CompletedOutcome } from '../store.ts';
import type { PlannedRun } from '../study.ts';

export interface TrainingTask {
  run: PlannedRun;
  runDir: string;
  continueRun: boolean;
  syntheticRoot?: string;
}

/** Messages from the thread: log lines, then the outcome or the error. */
export type TrainingMessage =
  | { log: string }
  | { outcome: CompletedOutcome; seconds: number }
  | { error: { message: string; stack?: string; kind: 'interrupted' | 'user' | 'internal' } };

/** An error of the trained run, as the thread reported it. */
export class RunThreadError extends Error {
  constructor(
    message: string,
    readonly kind: 'interrupted' | 'user' | 'internal',
  ) {
    super(message);
  }
}

export function trainInThread(task: TrainingTask, log: (line: string) => void, signal: AbortSignal): Promise<{ outcome: CompletedOutcome; seconds: number }> {
  const entry = new URL('./training-thread-main.ts', import.meta.url).href;
  // The same tsx bootstrap as the data-parallel workers (threads start without the loader).
  const thread = new Worker(new URL('../../train/parallel/bootstrap.mjs', import.meta.url), { workerData: { entry, task } });
  const stop = () => thread.postMessage('stop');
  signal.addEventListener('abort', stop);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', stop);
      action();
      void thread.terminate();
    };
    thread.on('message', (message: TrainingMessage) => {
      if ('log' in message) log(message.log);
      else if ('outcome' in message) settle(() => resolve(message));
      else settle(() => reject(new RunThreadError(message.error.kind === 'internal' ? (message.error.stack ?? message.error.message) : message.error.message, message.error.kind)));
    });
    thread.on('error', (error) => settle(() => reject(error)));
    thread.on('exit', (code) => settle(() => reject(new Error(`the training thread exited (code ${code}) without a result`))));
  });
}
