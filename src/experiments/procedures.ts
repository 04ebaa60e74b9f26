/**
 * How a planned run is carried out, by its method's `procedure`:
 *  - `train`: one `runTraining` with the method's compression policy;
 *  - `lottery-rewind`, `lottery-reinit`: lottery-ticket retraining (see `lottery.ts`).
 */
import { runTraining, type RunOptions, type RunResult } from '../train/run.ts';
import { runLotteryTicket } from './lottery.ts';
import type { PlannedRun } from './study.ts';

export async function runProcedure(run: PlannedRun, options: RunOptions): Promise<RunResult> {
  switch (run.method.procedure) {
    case 'train':
      return runTraining(run.config, options);
    case 'lottery-rewind':
    case 'lottery-reinit':
      return runLotteryTicket(run, options);
  }
}
