import { describe, expect, it } from 'vitest';
import { createSchedule, parseScheduleConfig, type ScheduleConfig } from '../../src/train/schedules.ts';
import { ConfigError } from '../../src/util/errors.ts';

describe('constant', () => {
  it('is the same at every step', () => {
    const lrAt = createSchedule({ name: 'constant', lr: 0.01 });
    expect([0, 1, 99, 12345].map((step) => lrAt(step, 10))).toEqual([0.01, 0.01, 0.01, 0.01]);
  });
});

describe('cosine', () => {
  const lrAt = createSchedule({ name: 'cosine', lr: 0.1, epochs: 10, minLr: 0.001 });

  it('starts at lr, is halfway at half time, ends at minLr and stays there', () => {
    expect(lrAt(0, 100)).toBeCloseTo(0.1, 12);
    expect(lrAt(500, 100)).toBeCloseTo(0.0505, 12);
    expect(lrAt(1000, 100)).toBeCloseTo(0.001, 12);
    expect(lrAt(5000, 100)).toBeCloseTo(0.001, 12);
  });

  it('follows the formula at a fractional epoch', () => {
    // step 250 of 100 per epoch = epoch 2.5, p = 0.25
    expect(lrAt(250, 100)).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos(Math.PI * 0.25))) / 2, 12);
  });

  it('with updateEvery epoch, holds the value through an epoch', () => {
    const perEpoch = createSchedule({ name: 'cosine', lr: 0.1, epochs: 10, minLr: 0.001, updateEvery: 'epoch' });
    expect(perEpoch(250, 100)).toBe(perEpoch(200, 100));
    expect(perEpoch(299, 100)).toBe(perEpoch(200, 100));
    expect(perEpoch(250, 100)).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos(Math.PI * 0.2))) / 2, 12);
  });

  it('warms up linearly, then decays over the remaining epochs', () => {
    const warm = createSchedule({ name: 'cosine', lr: 0.1, epochs: 12, warmupEpochs: 2 });
    // 10 steps per epoch: 20 warm-up steps reaching lr at the last one, never 0
    expect(warm(0, 10)).toBeCloseTo(0.1 / 20, 12);
    expect(warm(9, 10)).toBeCloseTo(0.05, 12);
    expect(warm(19, 10)).toBeCloseTo(0.1, 12);
    expect(warm(20, 10)).toBeCloseTo(0.1, 12);
    // epoch 7 is halfway through the 10 decay epochs
    expect(warm(70, 10)).toBeCloseTo(0.05, 12);
    expect(warm(120, 10)).toBeCloseTo(0, 12);
  });

  it('is monotone after warm-up', () => {
    const warm = createSchedule({ name: 'cosine', lr: 0.1, epochs: 12, warmupEpochs: 2 });
    for (let step = 20; step < 130; step++) expect(warm(step + 1, 10)).toBeLessThanOrEqual(warm(step, 10));
  });
});

describe('step', () => {
  it('multiplies by gamma every N epochs, floored at minLr', () => {
    const lrAt = createSchedule({ name: 'step', lr: 0.001, everyEpochs: 20, gamma: 0.7, minLr: 0.0002 });
    expect(lrAt(0, 50)).toBe(0.001);
    expect(lrAt(999, 50)).toBe(0.001); // epoch 19.98
    expect(lrAt(1000, 50)).toBeCloseTo(0.0007, 15); // epoch 20
    expect(lrAt(2000, 50)).toBeCloseTo(0.00049, 15);
    expect(lrAt(3000, 50)).toBeCloseTo(0.000343, 15);
    expect(lrAt(5000, 50)).toBe(0.0002);
  });

  it('warm-up scales the first epochs', () => {
    const lrAt = createSchedule({ name: 'step', lr: 0.1, everyEpochs: 5, gamma: 0.5, warmupEpochs: 1 });
    expect(lrAt(0, 4)).toBeCloseTo(0.025, 12);
    expect(lrAt(3, 4)).toBeCloseTo(0.1, 12);
  });
});

describe('piecewise', () => {
  it('takes each value from its boundary on', () => {
    const lrAt = createSchedule({ name: 'piecewise', boundaries: [10, 30], values: [0.1, 0.01, 0.001] });
    expect(lrAt(0, 5)).toBe(0.1);
    expect(lrAt(49, 5)).toBe(0.1);
    expect(lrAt(50, 5)).toBe(0.01);
    expect(lrAt(149, 5)).toBe(0.01);
    expect(lrAt(150, 5)).toBe(0.001);
  });

  it('accepts fractional epoch boundaries, reached mid-epoch when updating every step', () => {
    const lrAt = createSchedule({ name: 'piecewise', boundaries: [0.5], values: [1, 2] });
    expect(lrAt(4, 10)).toBe(1);
    expect(lrAt(5, 10)).toBe(2);
    const perEpoch = createSchedule({ name: 'piecewise', boundaries: [0.5], values: [1, 2], updateEvery: 'epoch' });
    expect(perEpoch(5, 10)).toBe(1);
    expect(perEpoch(10, 10)).toBe(2);
  });
});

describe('validation', () => {
  function pathOf(config: unknown): string {
    try {
      createSchedule(config as ScheduleConfig, 'train.schedule');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).path;
    }
    throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
  }

  it('names the key path of a bad value', () => {
    expect(pathOf(null)).toBe('train.schedule');
    expect(pathOf({ name: 'exponential', lr: 1 })).toBe('train.schedule.name');
    expect(pathOf({ name: 'constant' })).toBe('train.schedule.lr');
    expect(pathOf({ name: 'constant', lr: -1 })).toBe('train.schedule.lr');
    expect(pathOf({ name: 'constant', lr: 1, epochs: 3 })).toBe('train.schedule.epochs');
    expect(pathOf({ name: 'cosine', lr: 0.1 })).toBe('train.schedule.epochs');
    expect(pathOf({ name: 'cosine', lr: 0.1, epochs: 10, minLr: 0.2 })).toBe('train.schedule.minLr');
    expect(pathOf({ name: 'cosine', lr: 0.1, epochs: 10, warmupEpochs: 10 })).toBe('train.schedule.warmupEpochs');
    expect(pathOf({ name: 'cosine', lr: 0.1, epochs: 10, updateEvery: 'batch' })).toBe('train.schedule.updateEvery');
    expect(pathOf({ name: 'step', lr: 0.1, everyEpochs: 10, gamma: 1.5 })).toBe('train.schedule.gamma');
    expect(pathOf({ name: 'step', lr: 0.1, gamma: 0.5 })).toBe('train.schedule.everyEpochs');
    expect(pathOf({ name: 'piecewise', boundaries: [10, 5], values: [1, 2, 3] })).toBe('train.schedule.boundaries.1');
    expect(pathOf({ name: 'piecewise', boundaries: [10], values: [1] })).toBe('train.schedule.values');
    expect(pathOf({ name: 'piecewise', boundaries: [10], values: [1, 0] })).toBe('train.schedule.values.1');
    expect(pathOf({ name: 'piecewise', boundaries: '10', values: [1, 2] })).toBe('train.schedule.boundaries');
  });

  it('fills defaults', () => {
    expect(parseScheduleConfig({ name: 'cosine', lr: 0.1, epochs: 10 })).toEqual({
      name: 'cosine',
      lr: 0.1,
      epochs: 10,
      minLr: 0,
      warmupEpochs: 0,
      updateEvery: 'step',
    });
  });

  it('rejects a bad step or steps per epoch', () => {
    const lrAt = createSchedule({ name: 'constant', lr: 1 });
    expect(() => lrAt(-1, 10)).toThrow(RangeError);
    expect(() => lrAt(1.5, 10)).toThrow(RangeError);
    expect(() => lrAt(0, 0)).toThrow(RangeError);
  });
});
