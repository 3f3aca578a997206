import { defineConfig } from 'vite';
import path from 'node:path';

// The console (index.html) and the Support Center (portal.html), built into dist/web
// and served by the same Fastify process.
export default defineConfig({
  root: path.resolve(import.meta.dirname, 'web'),
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/web'),
    emptyOutDir: true,
    rollupOptions: {
      input: {
        index: path.resolve(import.meta.dirname, 'web/index.html'),
        portal: path.resolve(import.meta.dirname, 'web/portal.html'),
      },
    },
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
