import { ISignal } from '@lumino/signaling';
import { useCallback, useSyncExternalStore } from 'react';

type AnySignal = ISignal<unknown, unknown>;

// How many times each signal has fired, counted from the first time a component asked.
const counts = new WeakMap<AnySignal, { fired: number }>();

function timesFired(signal: AnySignal): number {
  let count = counts.get(signal);
  if (!count) {
    const created = { fired: 0 };
    signal.connect(() => {
      created.fired += 1;
    });
    counts.set(signal, created);
    count = created;
  }
  return count.fired;
}

/**
 * Re-renders the calling component whenever one of the signals fires.
 *
 * A component subscribes only after it has rendered, and a model may change in between (a
 * page of chats arriving while the list first paints). Counting each signal's emissions
 * lets React see such a change once it subscribes and render again, where a plain
 * `useEffect` subscription would miss it and show stale state until the next change.
 */
export function useSignals(...signals: AnySignal[]): void {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const listener = () => onChange();
      signals.forEach(signal => signal.connect(listener));
      return () => {
        signals.forEach(signal => signal.disconnect(listener));
      };
    },
    // The signals are fixed for a component's life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    signals
  );
  const version = useCallback(
    () => signals.reduce((sum, signal) => sum + timesFired(signal), 0),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    signals
  );
  useSyncExternalStore(subscribe, version);
}
