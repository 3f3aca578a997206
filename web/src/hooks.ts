import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * State that survives a reload and a re-sign-in: kept in sessionStorage under
 * `key` (per tab). `clear()` forgets it (after a successful save).
 */
export function useStoredState<T>(
  key: string,
  initial: T | (() => T),
): [T, (v: T | ((old: T) => T)) => void, () => void] {
  const storageKey = `sb:${key}`;
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = window.sessionStorage.getItem(storageKey);
      if (raw !== null) return JSON.parse(raw) as T;
    } catch {
      // storage unavailable or corrupt: start fresh
    }
    return typeof initial === 'function' ? (initial as () => T)() : initial;
  });
  const keyRef = useRef(storageKey);
  keyRef.current = storageKey;
  const set = useCallback((v: T | ((old: T) => T)) => {
    setValue((old) => {
      const next = typeof v === 'function' ? (v as (o: T) => T)(old) : v;
      try {
        window.sessionStorage.setItem(keyRef.current, JSON.stringify(next));
      } catch {
        // quota or private mode: keep it in memory only
      }
      return next;
    });
  }, []);
  const clear = useCallback(() => {
    try {
      window.sessionStorage.removeItem(keyRef.current);
    } catch {
      // ignore
    }
  }, []);
  return [value, set, clear];
}

export function hasStored(key: string): boolean {
  try {
    return window.sessionStorage.getItem(`sb:${key}`) !== null;
  } catch {
    return false;
  }
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Loads data with an abortable async function; reload() runs it again. */
export function useLoad<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; setData: (d: T) => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    fn(ctl.signal).then(
      (d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}
