"""Read-only queries returning plain values for transports. They never write."""
