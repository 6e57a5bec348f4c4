// Builds the agent workbench (a Vue 3 single-page app, docs/operations.md "Workbench") into
// appliance/static/workbench/: one ES module and one stylesheet with fixed names, which the
// Flask page /workbench/ loads under the strict CSP (no inline script, nothing from another
// origin, no eval: templates are compiled here, so Vue's runtime-only build is enough).
// Run by `make assets` (npm run build:workbench); nothing is fetched at runtime.
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  publicDir: false,
  logLevel: "warn",
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: "false",
    __VUE_PROD_DEVTOOLS__: "false",
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
  },
  build: {
    outDir: here("../appliance/static/workbench"),
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    rollupOptions: {
      input: here("src/main.js"),
      output: {
        entryFileNames: "workbench.js",
        chunkFileNames: "workbench-[name].js",
        assetFileNames: "workbench[extname]",
      },
    },
  },
});
