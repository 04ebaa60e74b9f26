/**
 * `bitpoint` CLI processes for the queue tests (real workers and coordinators, killable with
 * SIGKILL), with their stderr collected and awaitable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

export interface CliProcess {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves when stderr matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill9(): Promise<void>;
}

export function bitpoint(args: string[]): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = stderr.match(waiter.pattern);
      if (match) (waiters.splice(waiters.indexOf(waiter), 1), waiter.resolve(match));
    }
  };
  child.stderr!.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), check()));
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`bitpoint ${args[0]} exited (${code ?? signal}) before /${waiter.pattern.source}/:\n${stderr}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        check();
        if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`bitpoint ${args[0]} has exited:\n${stderr}`));
      }),
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
