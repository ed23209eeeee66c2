import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';

/** Why a kernel cannot take code now. */
export type KernelProblem =
  | { kind: 'none' }
  | { kind: 'dead'; reason: string }
  | { kind: 'lost' }
  /** Starting, restarting or reconnecting, and still so when the wait ended. */
  | { kind: 'waiting'; status: string; seconds: number };

/**
 * What keeps a kernel from taking code now, or null when it can. A busy kernel can:
 * code sent to it queues and runs after what it is running.
 */
export function kernelProblem(
  kernel: Kernel.IKernelConnection | null | undefined,
  seconds = 0
): KernelProblem | null {
  // A kernel that died is disposed of soon after: said as dead while it can be.
  if (kernel?.status === 'dead') {
    return { kind: 'dead', reason: kernel.model.reason ?? '' };
  }
  if (!kernel || kernel.isDisposed) {
    return { kind: 'none' };
  }
  // Closed by the server (a shut-down kernel) or given up on after the reconnect attempts.
  if (kernel.connectionStatus === 'disconnected') {
    return { kind: 'lost' };
  }
  if (
    kernel.connectionStatus === 'connected' &&
    (kernel.status === 'idle' || kernel.status === 'busy')
  ) {
    return null;
  }
  const status =
    kernel.connectionStatus === 'connecting' ? 'connecting' : kernel.status;
  return { kind: 'waiting', status, seconds };
}

/** How often a kernel that is on its way is looked at again. */
const POLL_MS = 200;

/**
 * Waits, at most `ms`, for the kernel of a session to take code: the problem that is left
 * then, or null. Never waits longer: a session that never gets ready, or a kernel stuck
 * restarting, ends as a problem to tell, not as code waiting in a console forever.
 *
 * `untilReady`: whether to wait for the session to be ready first (a console just made,
 * which says "No Kernel" until it has joined its session). A notebook on "No Kernel" by
 * the user's choice is never ready: without it, that is said at once.
 */
export async function usableKernel(
  context: ISessionContext,
  ms: number,
  untilReady: boolean
): Promise<KernelProblem | null> {
  const seconds = Math.round(ms / 1000);
  const deadline = Date.now() + ms;
  if (untilReady && !(await within(context.ready, ms))) {
    return { kind: 'waiting', status: 'starting', seconds };
  }
  // Polled rather than followed by signals: the kernel itself may change while waiting.
  for (;;) {
    const kernel = context.session?.kernel;
    const problem =
      kernel || context.hasNoKernel
        ? kernelProblem(kernel, seconds)
        : // A kernel chosen and on its way.
          ({ kind: 'waiting', status: 'starting', seconds } as const);
    const left = deadline - Date.now();
    if (problem?.kind !== 'waiting' || left <= 0) {
      return problem?.kind === 'waiting'
        ? { ...problem, status: wayOf(context, problem.status) }
        : problem;
    }
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/**
 * What a kernel on its way is doing: a restart the session runs, or the kernel's own
 * restart after a crash, is said as restarting.
 */
function wayOf(context: ISessionContext, status: string): string {
  return context.isRestarting || status === 'autorestarting'
    ? 'restarting'
    : status;
}

/** Whether a promise settles within `ms` (its rejection is passed on). */
export async function within<T>(
  promise: Promise<T>,
  ms: number
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>(resolve => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
