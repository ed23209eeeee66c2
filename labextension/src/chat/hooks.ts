import { ISignal } from '@lumino/signaling';
import { useEffect, useState } from 'react';

/** Re-renders the calling component whenever one of the signals fires. */
export function useSignals(...signals: ISignal<unknown, unknown>[]): void {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion(version => version + 1);
    signals.forEach(signal => signal.connect(bump));
    return () => {
      signals.forEach(signal => signal.disconnect(bump));
    };
    // The signals are fixed for a component's life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, signals);
}
