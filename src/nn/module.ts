import type { Parameter } from './parameter.ts';

/**
 * The module tree: a module owns parameters and child modules under local names, and hands out
 * hierarchical names (`encoder.mlp.2.weight`) by walking the tree. Train/eval mode propagates to
 * children. Subclasses define their own `forward` signature; this base stays small on purpose
 * (micrograd's lesson: a core small enough to read in one sitting).
 */
export abstract class Module {
  private readonly ownParameters = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();
  private isTraining = true;

  get training(): boolean {
    return this.isTraining;
  }

  /** Sets train (true) or eval (false) mode on this module and all its descendants. */
  train(mode = true): this {
    this.isTraining = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  protected addParameter(name: string, parameter: Parameter): Parameter {
    if (this.ownParameters.has(name) || this.children.has(name)) throw new Error(`duplicate name '${name}' in ${this.constructor.name}`);
    this.ownParameters.set(name, parameter);
    return parameter;
  }

  protected addModule<T extends Module>(name: string, module: T): T {
    if (this.ownParameters.has(name) || this.children.has(name)) throw new Error(`duplicate name '${name}' in ${this.constructor.name}`);
    this.children.set(name, module);
    module.train(this.isTraining);
    return module;
  }

  /** Swaps a child (e.g. a quantizer chosen by a compression policy), disposing the old one. */
  protected replaceModule<T extends Module>(name: string, module: T): T {
    const old = this.children.get(name);
    if (!old) throw new Error(`no child '${name}' in ${this.constructor.name}`);
    if (old !== module) old.dispose();
    this.children.set(name, module);
    module.train(this.isTraining);
    return module;
  }

  /** All modules in the tree with their hierarchical names ('' for this one), depth first. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const result: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children) result.push(...child.namedModules(join(prefix, name)));
    return result;
  }

  /** All parameters (trainable and state) with their hierarchical names; also sets `path`. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const result: Array<[string, Parameter]> = [];
    for (const [name, parameter] of this.ownParameters) {
      const path = join(prefix, name);
      parameter.path = path;
      result.push([path, parameter]);
    }
    for (const [name, child] of this.children) result.push(...child.namedParameters(join(prefix, name)));
    return result;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.trainable);
  }

  /** Looks up a descendant by hierarchical name. */
  getModule(path: string): Module | undefined {
    return this.namedModules().find(([name]) => name === path)?.[1];
  }

  dispose(): void {
    for (const parameter of this.ownParameters.values()) parameter.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}
