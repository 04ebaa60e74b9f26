/**
 * One coordinator per study and queue. Two coordinators would both record results and both
 * enqueue dependent runs; instead the second is refused, saying who holds the study. The claim is a
 * Redis key set only if absent, with an expiry the holder renews: a coordinator killed with
 * `kill -9` leaves a claim that lapses `lockSeconds` later, after which `--resume` takes over.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { QueueError } from './connection.ts';
import { claimKey } from './keys.ts';

interface ClaimHolder {
  token: string;
  host: string;
  pid: number;
  since: string;
}

export class StudyClaim {
  private timer: NodeJS.Timeout | null = null;
  private lost = false;

  private constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly holder: ClaimHolder,
    private readonly ttlMs: number,
  ) {}

  /** Claims `study`, or throws a QueueError naming the coordinator that holds it. */
  static async acquire(redis: Redis, study: string, lockSeconds: number, queueDisplay: string): Promise<StudyClaim> {
    const holder: ClaimHolder = { token: randomUUID(), host: hostname(), pid: process.pid, since: new Date().toISOString() };
    const ttlMs = Math.round(lockSeconds * 1000);
    const key = claimKey(study);
    const set = await redis.set(key, JSON.stringify(holder), 'PX', ttlMs, 'NX');
    if (set !== 'OK') {
      const other = JSON.parse((await redis.get(key)) ?? '{}') as Partial<ClaimHolder>;
      const left = await redis.pttl(key);
      throw new QueueError(
        `study ${study} on ${queueDisplay} is already coordinated by ${other.host ?? '?'} (pid ${other.pid ?? '?'}, since ${other.since ?? '?'}): ` +
          `stop that sweep first; if it was killed, its claim lapses in ${Math.max(1, Math.ceil(left / 1000))} s, then run again with --resume`,
      );
    }
    const claim = new StudyClaim(redis, key, holder, ttlMs);
    claim.timer = setInterval(() => void claim.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    return claim;
  }

  /** False once another process took the study (this one stalled past its claim). */
  get held(): boolean {
    return !this.lost;
  }

  private async renew(): Promise<void> {
    try {
      // Renew only our own claim: compare and extend in one script.
      const renewed = await this.redis.eval(RENEW, 1, this.key, this.holder.token, this.ttlMs);
      if (renewed === 0) this.lost = true;
    } catch {
      // Redis unreachable for a moment (e.g. restarting): the next renewal tries again.
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis.eval(RELEASE, 1, this.key, this.holder.token).catch(() => {});
  }
}

const RENEW = `
local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value).token == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
