// Loads a TypeScript module of src/ for a unit test: transpiled in memory with the project's
// own TypeScript, then imported from a data: URL. Its relative imports are loaded the same
// way; it must import nothing else at run time (type-only imports vanish in transpiling).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ts from 'typescript';

async function moduleUrl(path) {
  const source = await readFile(
    new URL(`../src/${path}`, import.meta.url),
    'utf8'
  );
  let { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2020
    }
  });
  for (const [, spec] of outputText.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const url = await moduleUrl(`${join(dirname(path), spec)}.ts`);
    outputText = outputText.replaceAll(`'${spec}'`, `'${url}'`);
  }
  return `data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`;
}

export async function loadTs(path) {
  return import(await moduleUrl(path));
}
