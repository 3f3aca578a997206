import { spawn } from 'node:child_process';
import type { AttachmentScanner } from './uploads.js';

/**
 * ATTACHMENT_SCAN_COMMAND: a virus scanner run once per uploaded file, the
 * file's bytes on its standard input (no shell; the command is split on
 * spaces). Exit 0 keeps the file; exit 1 refuses it, the first line of its
 * output as the reason (ClamAV's `clamdscan --no-summary -` prints
 * "stdin: Eicar-Signature FOUND"); any other exit, a crash or a run longer
 * than the timeout refuses it as "could not be scanned".
 */
export function commandScanner(command: string, timeoutMs = 60_000): AttachmentScanner {
  const [file, ...args] = command.trim().split(/\s+/);
  return {
    scan: (f) =>
      new Promise((resolve) => {
        const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
        let out = '';
        const take = (b: Buffer) => {
          if (out.length < 4096) out += b.toString('utf8');
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        child.on('error', () => resolve('the file could not be scanned'));
        child.on('close', (code) => {
          if (code === 0) resolve(null);
          else if (code === 1) {
            const line = out
              .split('\n')
              .map((l) => l.trim())
              .find(Boolean);
            resolve(line ? line.replace(/^stdin:\s*/, '').slice(0, 300) : 'the scanner found a threat');
          } else resolve('the file could not be scanned');
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(f.content);
      }),
  };
}
