import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { ConfigError } from '../../src/util/errors.ts';

/** The ConfigError a raw run config gives: its path and message. */
function rejection(raw: unknown): { path: string; message: string } {
  try {
    parseRunConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { path: (error as ConfigError).path, message: (error as ConfigError).message };
  }
  throw new Error('expected a ConfigError');
}

describe('run config', () => {
  it('fills the defaults of a bare model name', () => {
    const config = parseRunConfig({ model: 'pointnet-vanilla' });
    expect(config).toMatchObject({ name: 'pointnet-vanilla', dataset: 'synth-cls', points: 1024, epochs: 20, batchSize: 32, compress: 'fp', seed: 1 });
    expect(config.modelOptions).toEqual({});
    expect(parseRunConfig({ model: 'pointnet-seg' }).dataset).toBe('synth-seg');
    expect(parseRunConfig({ model: 'mnist-cnn' }).dataset).toBe('mnist');
  });

  it('a cosine schedule without its own epochs decays over the run\'s epochs', () => {
    expect(parseRunConfig({ model: 'pointnet', epochs: 7 }).schedule).toMatchObject({ name: 'cosine', lr: 0.001, epochs: 7 });
    expect(parseRunConfig({ model: 'pointnet', epochs: 7, schedule: { name: 'cosine', lr: 0.01 } }).schedule).toMatchObject({ lr: 0.01, epochs: 7 });
    expect(parseRunConfig({ model: 'pointnet', epochs: 7, schedule: { name: 'cosine', lr: 0.01, epochs: 50 } }).schedule).toMatchObject({ epochs: 50 });
    expect(rejection({ model: 'pointnet', schedule: { name: 'cosine', lr: 0.01, epochs: 0 } }).path).toBe('schedule.epochs');
  });

  it('names the path of an unknown or mistyped key', () => {
    expect(rejection({ model: 'pointnet', epoch: 3 }).path).toBe('epoch');
    expect(rejection({ model: 'pointnet', modelOptions: { dropuot: 0.2 } }).path).toBe('modelOptions.dropuot');
    expect(rejection({ model: 'pointnet', epochs: 2.5 }).path).toBe('epochs');
  });

  it('takes a validation fraction, absent by default so that older configs keep their hashes', () => {
    expect(parseRunConfig({ model: 'pointnet', validation: 0.2 }).validation).toBe(0.2);
    const plain = parseRunConfig({ model: 'pointnet' });
    expect(plain.validation).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('validation');
    expect(rejection({ model: 'pointnet', validation: 0 })).toMatchObject({ path: 'validation', message: 'config validation: must be a number > 0 and ≤ 0.9, got 0' });
    expect(rejection({ model: 'pointnet', validation: 0.95 }).path).toBe('validation');
    expect(rejection({ model: 'pointnet', validation: '10%' }).path).toBe('validation');
  });

  it('takes PointNet encoder widths, and refuses malformed ones or other models', () => {
    expect(parseRunConfig({ model: 'pointnet-vanilla', modelOptions: { encoder: [[64], [128, 1024]] } }).modelOptions.encoder).toEqual([[64], [128, 1024]]);
    expect(parseRunConfig({ model: 'pointnet-seg', modelOptions: { encoder: [[32, 32], [64]] } }).modelOptions.encoder).toEqual([[32, 32], [64]]);
    for (const encoder of [[[64]], [[64], []], [[64], [128, 0]], [[64.5], [128]], [64, 128], 'bipointnet']) {
      const { path, message } = rejection({ model: 'pointnet', modelOptions: { encoder } });
      expect(path).toBe('modelOptions.encoder');
      expect(message).toMatch(/two lists of positive integer widths/);
    }
    expect(rejection({ model: 'dgcnn', modelOptions: { encoder: [[64], [128]] } }).message).toMatch(/only the PointNet models .* 'dgcnn'/);
  });

  it("takes poolFrom for the PointNet classifiers only, and keeps it out of configs that leave it out", () => {
    expect(parseRunConfig({ model: 'pointnet-vanilla', modelOptions: { poolFrom: 'all' } }).modelOptions.poolFrom).toBe('all');
    expect(JSON.stringify(parseRunConfig({ model: 'pointnet-vanilla' }))).not.toContain('poolFrom');
    expect(rejection({ model: 'pointnet', modelOptions: { poolFrom: 'every' } })).toMatchObject({ path: 'modelOptions.poolFrom', message: expect.stringMatching(/one of last, all, got 'every'/) });
    expect(rejection({ model: 'pointnet-seg', modelOptions: { poolFrom: 'all' } })).toMatchObject({ path: 'modelOptions.poolFrom', message: expect.stringMatching(/only the PointNet classifiers .* 'pointnet-seg'/) });
  });
});
