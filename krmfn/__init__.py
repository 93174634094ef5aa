"""krmfn: make Kubernetes middleware work on IPv6-only and dual-stack clusters."""

__version__ = "0.1.0"
