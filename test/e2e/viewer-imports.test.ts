import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIEWER_ROOT, VIEWER_SOURCES } from '../../src/cli/view.ts';

/**
 * The viewer runs in a browser: everything it imports, transitively (its own modules and the
 * project's PLY reader), must be browser code. This walks the import graph from the viewer's
 * entry and fails on `node:` modules, Node built-ins, or packages other than three and d3.
 */

const ALLOWED_PACKAGES = [/^three$/, /^three\/addons\//, /^d3$/];
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Static and dynamic import specifiers of a TS/JS module (type-only imports left out). */
function importsOf(code: string): string[] {
  const withoutComments = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[\s\S]*?\sfrom\s+)?['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?!type\s)[\s\S]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of withoutComments.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

function importGraph(entry: string): { modules: string[]; packages: Map<string, string>; builtins: Map<string, string> } {
  const modules: string[] = [];
  const packages = new Map<string, string>();
  const builtins = new Map<string, string>();
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    modules.push(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const from = relative(join(VIEWER_ROOT, '..'), file);
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else if (specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0]!)) builtins.set(specifier, from);
      else packages.set(specifier, from);
    }
  }
  return { modules, packages, builtins };
}

describe('viewer import graph', () => {
  const entry = join(VIEWER_ROOT, 'src', 'main.ts');
  const graph = importGraph(entry);

  it('finds the viewer entry in index.html', () => {
    expect(readFileSync(join(VIEWER_ROOT, 'index.html'), 'utf8')).toContain('src="./src/main.ts"');
  });

  it('reads PLY with the project\'s own reader', () => {
    const names = graph.modules.map((file) => relative(join(VIEWER_ROOT, '..'), file).split('\\').join('/'));
    expect(names).toContain('src/data/formats/ply/read.ts');
    expect(names).toContain('src/util/errors.ts');
  });

  it('imports no Node module, directly or through the project', () => {
    expect(Object.fromEntries(graph.builtins)).toEqual({});
  });

  it('imports only the browser packages three and d3', () => {
    const other = [...graph.packages.keys()].filter((name) => !ALLOWED_PACKAGES.some((pattern) => pattern.test(name)));
    expect(other).toEqual([]);
  });

  it('lies inside the sources `bitpoint view` watches for rebuilds and `--dev` serves', () => {
    const outside = graph.modules.filter((file) => !VIEWER_SOURCES.some((source) => file === source || file.startsWith(`${source}${sep}`)));
    expect(outside.map((file) => relative(join(VIEWER_ROOT, '..'), file))).toEqual([]);
  });

  it('sees through comments and type-only imports, and catches a node: import', () => {
    const code = `// import x from 'node:fs'\nimport type { A } from 'node:path';\nimport { readFile } from 'node:fs/promises';\nconst m = await import('node:os');`;
    expect(importsOf(code)).toEqual(['node:fs/promises', 'node:os']);
  });
});
