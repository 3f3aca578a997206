/**
 * One client process of bench/sse-reminders.ts: opens SSE streams (one per API
 * key it is given) and measures, for every `reminder` event, the delay from the
 * reminder's due time (`fireAt`) to its arrival. Talks to the parent over IPC.
 */
import { SseClient } from '../test/sse-client.js';

interface Start {
  cmd: 'start';
  url: string;
  keys: string[];
  concurrency: number;
}
interface Report {
  cmd: 'report';
}
type Command = Start | Report;

/** [user id, task id, latency ms] per reminder received. */
const received: [string, string, number][] = [];
const clients: SseClient[] = [];
let ended = 0;

async function start(msg: Start): Promise<void> {
  let next = 0;
  let failed = 0;
  const openOne = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= msg.keys.length) return;
      const userId = msg.keys[i].split(':')[0];
      const key = msg.keys[i].slice(userId.length + 1);
      try {
        const c = await SseClient.open(msg.url, {
          headers: { authorization: `Bearer ${key}` },
          keep: false,
          timeoutMs: 60_000,
          onEvent: (m) => {
            if (m.event !== 'reminder') return;
            const data = JSON.parse(m.data) as { taskId: string; fireAt: string };
            received.push([userId, data.taskId, m.receivedAt - Date.parse(data.fireAt)]);
          },
        });
        clients.push(c);
        void c.waitForEnd(24 * 3600_000).then(() => ended++);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: msg.concurrency }, openOne));
  process.send!({ cmd: 'connected', connected: clients.length, failed });
}

process.on('message', (msg: Command) => {
  if (msg.cmd === 'start') {
    void start(msg);
  } else if (msg.cmd === 'report') {
    process.send!({ cmd: 'report', received, ended });
    for (const c of clients) c.close();
    setTimeout(() => process.exit(0), 200);
  }
});
