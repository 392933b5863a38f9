import { defineConfig } from 'vite';

// Built with `vite build web` (root web/, output web/dist/). Vite 8 transforms with Oxc:
// Preact's automatic JSX runtime, no preset plugin needed.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
