import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** Where `vite dev` sends `/api` and `/v1`: a running 429chain server. */
const apiTarget = process.env.CHAIN429_URL ?? 'http://127.0.0.1:3429';

export default defineConfig({
  plugins: [react()],
  base: '/',
  // Workspace packages (core's formatDuration) are built from their source, so the dashboard
  // builds without building them first.
  resolve: { conditions: ['@429chain/source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/v1': { target: apiTarget, changeOrigin: false },
    },
  },
});
