// Builds the embeddable visitor widget (docs/widget.md) into one IIFE script plus its
// stylesheet under appliance/static/widget/, with the Socket.IO client bundled in.
// Run by `make assets` (npm run build:widget); nothing is fetched at runtime.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  publicDir: false,
  logLevel: "warn",
  build: {
    outDir: here("../appliance/static/widget"),
    emptyOutDir: true,
    target: "es2019",
    sourcemap: false,
    lib: {
      entry: here("src/main.js"),
      name: "EnclaveWidget",
      formats: ["iife"],
      fileName: () => "enclave-widget.js",
      cssFileName: "enclave-widget",
    },
  },
});
