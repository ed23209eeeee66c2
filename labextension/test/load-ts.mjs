// Loads a dependency-free TypeScript module of src/ for a unit test: transpiled in memory
// with the project's own TypeScript, then imported from a data: URL.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

export async function loadTs(path) {
  const source = await readFile(new URL(`../src/${path}`, import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 }
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
}
