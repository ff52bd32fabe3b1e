/**
 * The entry point of the single executable (`npm run build` → dist/roost). The order matters:
 * DuckDB's native library is loaded before anything imports the DuckDB binding.
 */
import "./native/preload-duckdb";
import "./main";
