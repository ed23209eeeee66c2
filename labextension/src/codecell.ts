import type * as nbformat from '@jupyterlab/nbformat';
import type { NotebookPanel } from '@jupyterlab/notebook';

/**
 * How a code block of an answer goes into a notebook or console, given the block's
 * language and the kernel's: Markdown as Markdown, the kernel's own language as it is,
 * and another language in a form the kernel runs, or not at all.
 */
export type CodePlan =
  | { kind: 'code'; source: string }
  | { kind: 'markdown'; source: string }
  /** A language the kernel cannot run: never handed to it as its own. */
  | { kind: 'foreign'; language: string };

const MARKDOWN = new Set(['markdown', 'md']);

/** Other names models give a language, by the name kernels report. */
const ALIASES: Record<string, string> = {
  py: 'python',
  python3: 'python',
  ipython: 'python',
  ipython3: 'python',
  js: 'javascript',
  shell: 'sh',
  jl: 'julia'
};

/**
 * IPython's cell magics for other languages. A cell magic rather than `!` for shell
 * blocks: `%%bash` runs the whole block in one shell, so `cd`, variables, loops and
 * line continuations carry across its lines, where `!` starts a shell per line.
 */
const IPYTHON_MAGICS: Record<string, string> = {
  bash: 'bash',
  sh: 'sh',
  perl: 'perl',
  ruby: 'ruby',
  javascript: 'javascript',
  html: 'html',
  latex: 'latex',
  svg: 'svg'
};

function normalize(language: string): string {
  const name = language.trim().toLowerCase();
  return ALIASES[name] ?? name;
}

export function planCode(
  code: string,
  language: string,
  kernelLanguage: string
): CodePlan {
  const block = normalize(language);
  const kernel = normalize(kernelLanguage);
  if (MARKDOWN.has(block)) {
    return { kind: 'markdown', source: code };
  }
  if (!block || !kernel || block === kernel) {
    return { kind: 'code', source: code };
  }
  const magic = kernel === 'python' ? IPYTHON_MAGICS[block] : undefined;
  if (magic) {
    return { kind: 'code', source: `%%${magic}\n${code}` };
  }
  return { kind: 'foreign', language: language.trim() };
}

/** The notebook kernel's language, as the notebook records it. */
export function notebookLanguage(panel: NotebookPanel): string {
  const info = panel.context.model.metadata.language_info as
    nbformat.ILanguageInfoMetadata | undefined;
  return info?.name ?? panel.context.model.defaultKernelLanguage ?? '';
}
