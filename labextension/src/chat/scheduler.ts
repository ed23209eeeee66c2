/**
 * One queue for every Markdown render of every chat view, run a slice at a time so
 * that no burst of work (opening a long chat, a fast stream) holds the main thread
 * for long: after each slice of about a frame the queue yields to the browser.
 */

const SLICE_MS = 12;

interface IJob {
  priority: number;
  seq: number;
  run: () => Promise<void> | void;
  resolve: () => void;
}

export class RenderQueue {
  /**
   * Runs `run` after the jobs of higher priority (then in order of arrival).
   * The returned promise settles when it has run; failures are swallowed after
   * being reported to the console.
   */
  schedule(run: () => Promise<void> | void, priority = 0): Promise<void> {
    return new Promise(resolve => {
      this._jobs.push({ priority, seq: this._seq++, run, resolve });
      this._jobs.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      if (!this._running) {
        void this._drain();
      }
    });
  }

  private async _drain(): Promise<void> {
    this._running = true;
    let sliceStart = performance.now();
    while (this._jobs.length > 0) {
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToBrowser();
        sliceStart = performance.now();
      }
      const job = this._jobs.shift()!;
      try {
        await job.run();
      } catch (error) {
        console.warn('chat-ext: a message could not be rendered', error);
      }
      job.resolve();
    }
    this._running = false;
  }

  private _jobs: IJob[] = [];
  private _running = false;
  private _seq = 0;
}

/** Lets the browser handle input and paint before going on. */
export function yieldToBrowser(): Promise<void> {
  return new Promise(resolve => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** The queue every view shares. */
export const renderQueue = new RenderQueue();
