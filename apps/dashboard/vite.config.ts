import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The dev server proxies the API to a Parley server on :8080 (`npm start`). */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
