import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { GOLDEN_CASES } from './golden-cases.ts';
import { buildTiny } from './tiny-models.ts';

/**
 * The exported bytes of every registry model kind under every quantizer kind, pinned by SHA-256:
 * computed before lowering moved next to the blocks and the quantizers began describing their own
 * weight grids, so that refactor (and any later one) provably changes no byte of any packed file.
 * A deliberate format change updates these hashes in the same commit and says why.
 */
const GOLDEN: Record<string, [sha256: string, bytes: number]> = {
  'pointnet-vanilla fp': ['f17672e4bdecd7ab7a75bb42b52308749ad04c5f7a410ae49e04b3bcd3873e09', 592456],
  'pointnet-vanilla bipointnet': ['9685b8ac920ee7953dcc6571491471b3a139098cff288554150ba7d9dd7ad386', 35424],
  'pointnet-vanilla xnor': ['677274e94441fcba85b84a577305fb3aec1900936e6dba8ac6ada24c7f70f3eb', 35456],
  'pointnet-vanilla ternary-twn': ['dc02a8f9496756e3ed496d83c4239b710f52c92c066ba615b8bc9ccbce472aca', 53160],
  'pointnet-vanilla ternary-ttq': ['16147a1d657599935b76d71bf6a0c88f3d1db83f7ea5f7d10ede7df587e8c73d', 56816],
  'pointnet-vanilla int4': ['fdb0f67f6643012c8f3840dbe13bfc2b1a765a9b46ce297ee6ecef2981ad8ce8', 89656],
  'pointnet-vanilla int2': ['5d8138a6fbb1295fc862c0550a12b0df4e875ec48a3d3b4ccc3383ddfa739c32', 53680],
  'pointnet-vanilla prune-90': ['8b5cf85b23ccd21b1c5c52a3b739e8209ff3881f7d9097817aed7a176dd912c4', 611184],
  'pointnet-vanilla bipointnet-shortcut': ['e668abb49855fce9f92bc1b2283325c11ee977b490ecf24dd344d46286c51388', 35488],
  'pointnet-vanilla bipointnet-dither poolFrom all': ['95ca4fb804c760dc71cebb96c700fbe988653e37664e010e1ecca58bbb3fed30', 37168],
  'pointnet fp': ['1c31faeb5328f18331e016588d13a1d920be6122f43f5e95029ec5a89841f016', 7070312],
  'pointnet bipointnet': ['0add65083d7b3664486978fb64d9b5a848cac731f6461463769ce09f64a02e5f', 281896],
  'pointnet fp poolFrom all': ['c9d48880f20cbd54a8f1c212a4461fc1793259493790a87a791e9c94cab8fa72', 7119728],
  'pointnet-seg fp': ['f5f5b1d52f9adecd252a838a194636c86653a6c5db4e7ddf7dc3b6348c21ff43', 7225992],
  'pointnet-seg bipointnet': ['f055b5f61ea164d8a107805e00799a01ad9f0e11b85dae5b076d90f59b89d040', 290848],
  'pointnet-seg bipointnet-shortcut': ['a0388cdea6a3cd76a5ed506a4bf3ae0e6a11a09440fd552e6a89cd5b73874c18', 552680],
  'pointnet-seg-vanilla int4': ['672005af3355d3830a3dfb4b04a7434d302b42a5982c85c352c40aa36b6e4ff3', 112392],
  'dgcnn fp': ['266be6858cfb62fb6fd76acf8cd375346845d2abab987261bd1364f25600f6cc', 1106352],
  'dgcnn bipointnet': ['826dc2d6c116e90802eb616fb7e36a661e59abc756ad11211d333fa7176a34ca', 59696],
  'dgcnn bipointnet-shortcut': ['15f573a4aa4f03109d667ac4f01a921196c2cd5036c02cf2b7a7d7eee500a757', 59904],
  'dgcnn ternary-twn': ['7e49b8ba6eb1415f72b08e093ea57a8ffe12a46960633ef40a20908670f747c0', 92920],
  'dgcnn-seg fp': ['8a3963fbd2dca9dc63a4eb400f65047fa563400f3083d85feab7c12f4966a4c9', 837080],
  'dgcnn-seg bipointnet': ['13b33c42976bd1d7453678603a95a4250c7851e61f0bf9fb623b06d31f44e24c', 51864],
  'mnist-mlp ste_sign': ['7525fe5df27220f327b1d691d897a69c1ebd8c6962e2024acbbe005d78276968', 35408],
  'mnist-mlp approx_sign per channel': ['f961c0b624af298650cb3929dc792ef45e7b6010d59e2e6b9f24cea1fd4dee06', 35352],
  'mnist-mlp binary weights float inputs': ['7f2952e0ee5883c13d96184413f5a64039bdfa9e82cef688a4c3d55681f89481', 35160],
  'mnist-mlp ternary_sparsity': ['abe5b8ce071d897af6b5b505f70f78825299f917a52eb8f4967c6f99b5d4eec9', 64464],
  'mnist-mlp twn per channel': ['14c9a800a243a12fe781874d49857799a5e413ea380f0e8c22b27e23746ee247', 64448],
  'mnist-mlp dorefa 3': ['2cf11bbd1c338fd1bbadf6c94441f19b88d98c40f831b6b67b64f5089a6fb500', 93952],
  'mnist-mlp lsq 5 per channel': ['180589a3fcbfea03a655137f2648fcfeafb85090faf2801d383448b469d0dbce', 152648],
  'mnist-mlp magnitude pruning binary': ['dbb52435f26b239ceae2ecf97c86c9d503f3cbc7d275f3bffcd19789918145b8', 44384],
  'mnist-cnn fp': ['634312a46eb4ccbda6f5b35338e73ded3d44a0d4643c2bb3b2b1906ad0368b84', 2323984],
  'mnist-cnn bipointnet': ['79f4f452ad4ec8bc40448d6890760befab0aaf8013ce7ba1c439f17748dabbda', 94136],
  'mnist-cnn int4': ['d31767a9c7de11d2e1780ce7613b9b68c4b97d12e863ef89adfdfa7519f25202', 310152],
};

beforeAll(async () => {
  await useBackend('wasm');
});

describe('export is byte-for-byte unchanged', () => {
  it('covers every case', () => {
    expect(GOLDEN_CASES.map((c) => c.label).sort()).toEqual(Object.keys(GOLDEN).sort());
  });
  for (const golden of GOLDEN_CASES) {
    it(golden.label, () => {
      const { bytes } = buildTiny(golden.model, golden.policy, golden.seed, golden.options);
      const [sha256, length] = GOLDEN[golden.label]!;
      expect(bytes.length).toBe(length);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
    });
  }
});
