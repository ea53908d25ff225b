"""The build engine: project folder, SQL views and their order, sources, the DuckDB file, UDFs."""
