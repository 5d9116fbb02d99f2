// Bundles the app for the browser into dist/ (served by the Server at /walkie/); the crypto wasm goes beside it,
// where the bundle's `new URL("./pkg/...wasm", import.meta.url)` looks for it.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("dist/pkg", { recursive: true });
await build({
  entryPoints: ["src/main.ts"], bundle: true, format: "esm", platform: "browser", target: "chrome120",
  outfile: "dist/app.js", sourcemap: true, minify: true, logLevel: "warning",
});
copyFileSync("node_modules/@matrix-org/matrix-sdk-crypto-wasm/pkg/matrix_sdk_crypto_wasm_bg.wasm", "dist/pkg/matrix_sdk_crypto_wasm_bg.wasm");
for (const f of ["index.html", "style.css"]) copyFileSync(f, `dist/${f}`);
