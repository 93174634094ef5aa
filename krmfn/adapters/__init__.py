"""Component adapters: per-chart IPv6 knowledge kept as data in catalog/, applied by the engine."""
