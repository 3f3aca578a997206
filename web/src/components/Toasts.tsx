import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { errorText } from '../api.js';
import { Link } from '../router.js';

export interface Toast {
  id: number;
  text: string;
  link?: { to: string; label: string };
  kind?: 'info' | 'error' | 'success';
}

type Push = (t: Omit<Toast, 'id'>) => void;
const ToastContext = createContext<Push>(() => {});

let seq = 0;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const push = useCallback<Push>(
    (t) => {
      const id = ++seq;
      setToasts((ts) => [...ts.slice(-4), { ...t, id }]);
      setTimeout(() => dismiss(id), t.kind === 'error' ? 12000 : t.kind === 'success' ? 5000 : 8000);
    },
    [dismiss],
  );
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.kind ?? 'info'}`}>
            <span>{t.text}</span>
            {t.link && (
              <Link to={t.link.to} onClick={() => dismiss(t.id)}>
                {t.link.label}
              </Link>
            )}
            <button type="button" className="icon" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): Push {
  return useContext(ToastContext);
}

/** An action on a list (enable, test, delete…): a toast saying it was done or why not, then the list read again. */
export function useListAction(reload: () => void): (fn: () => Promise<unknown>, done: string) => Promise<void> {
  const toast = useToast();
  return async (fn, done) => {
    try {
      await fn();
      toast({ text: done });
      reload();
    } catch (err) {
      toast({ text: errorText(err), kind: 'error' });
    }
  };
}
