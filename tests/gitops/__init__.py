"""GitOps delivery: values sinks, the Kyverno twin, CoreDNS and NetworkPolicy helpers, and their examples."""
